from zotrec.cli import main

main()
