"""The arXiv category taxonomy: human-readable names, archives, and official aliases."""

from __future__ import annotations

import re

ARCHIVES: dict[str, str] = {
    "astro-ph": "Astrophysics",
    "cond-mat": "Condensed Matter",
    "cs": "Computer Science",
    "econ": "Economics",
    "eess": "Electrical Engineering and Systems Science",
    "gr-qc": "General Relativity and Quantum Cosmology",
    "hep-ex": "High Energy Physics - Experiment",
    "hep-lat": "High Energy Physics - Lattice",
    "hep-ph": "High Energy Physics - Phenomenology",
    "hep-th": "High Energy Physics - Theory",
    "math": "Mathematics",
    "math-ph": "Mathematical Physics",
    "nlin": "Nonlinear Sciences",
    "nucl-ex": "Nuclear Experiment",
    "nucl-th": "Nuclear Theory",
    "physics": "Physics",
    "q-bio": "Quantitative Biology",
    "q-fin": "Quantitative Finance",
    "quant-ph": "Quantum Physics",
    "stat": "Statistics",
}

_SUB: dict[str, dict[str, str]] = {
    "astro-ph": {
        "CO": "Cosmology and Nongalactic Astrophysics",
        "EP": "Earth and Planetary Astrophysics",
        "GA": "Astrophysics of Galaxies",
        "HE": "High Energy Astrophysical Phenomena",
        "IM": "Instrumentation and Methods for Astrophysics",
        "SR": "Solar and Stellar Astrophysics",
    },
    "cond-mat": {
        "dis-nn": "Disordered Systems and Neural Networks",
        "mes-hall": "Mesoscale and Nanoscale Physics",
        "mtrl-sci": "Materials Science",
        "other": "Other Condensed Matter",
        "quant-gas": "Quantum Gases",
        "soft": "Soft Condensed Matter",
        "stat-mech": "Statistical Mechanics",
        "str-el": "Strongly Correlated Electrons",
        "supr-con": "Superconductivity",
    },
    "cs": {
        "AI": "Artificial Intelligence",
        "AR": "Hardware Architecture",
        "CC": "Computational Complexity",
        "CE": "Computational Engineering, Finance, and Science",
        "CG": "Computational Geometry",
        "CL": "Computation and Language",
        "CR": "Cryptography and Security",
        "CV": "Computer Vision and Pattern Recognition",
        "CY": "Computers and Society",
        "DB": "Databases",
        "DC": "Distributed, Parallel, and Cluster Computing",
        "DL": "Digital Libraries",
        "DM": "Discrete Mathematics",
        "DS": "Data Structures and Algorithms",
        "ET": "Emerging Technologies",
        "FL": "Formal Languages and Automata Theory",
        "GL": "General Literature",
        "GR": "Graphics",
        "GT": "Computer Science and Game Theory",
        "HC": "Human-Computer Interaction",
        "IR": "Information Retrieval",
        "IT": "Information Theory",
        "LG": "Machine Learning",
        "LO": "Logic in Computer Science",
        "MA": "Multiagent Systems",
        "MM": "Multimedia",
        "MS": "Mathematical Software",
        "NA": "Numerical Analysis",
        "NE": "Neural and Evolutionary Computing",
        "NI": "Networking and Internet Architecture",
        "OH": "Other Computer Science",
        "OS": "Operating Systems",
        "PF": "Performance",
        "PL": "Programming Languages",
        "RO": "Robotics",
        "SC": "Symbolic Computation",
        "SD": "Sound",
        "SE": "Software Engineering",
        "SI": "Social and Information Networks",
        "SY": "Systems and Control",
    },
    "econ": {
        "EM": "Econometrics",
        "GN": "General Economics",
        "TH": "Theoretical Economics",
    },
    "eess": {
        "AS": "Audio and Speech Processing",
        "IV": "Image and Video Processing",
        "SP": "Signal Processing",
        "SY": "Systems and Control",
    },
    "math": {
        "AC": "Commutative Algebra",
        "AG": "Algebraic Geometry",
        "AP": "Analysis of PDEs",
        "AT": "Algebraic Topology",
        "CA": "Classical Analysis and ODEs",
        "CO": "Combinatorics",
        "CT": "Category Theory",
        "CV": "Complex Variables",
        "DG": "Differential Geometry",
        "DS": "Dynamical Systems",
        "FA": "Functional Analysis",
        "GM": "General Mathematics",
        "GN": "General Topology",
        "GR": "Group Theory",
        "GT": "Geometric Topology",
        "HO": "History and Overview",
        "IT": "Information Theory",
        "KT": "K-Theory and Homology",
        "LO": "Logic",
        "MG": "Metric Geometry",
        "MP": "Mathematical Physics",
        "NA": "Numerical Analysis",
        "NT": "Number Theory",
        "OA": "Operator Algebras",
        "OC": "Optimization and Control",
        "PR": "Probability",
        "QA": "Quantum Algebra",
        "RA": "Rings and Algebras",
        "RT": "Representation Theory",
        "SG": "Symplectic Geometry",
        "SP": "Spectral Theory",
        "ST": "Statistics Theory",
    },
    "nlin": {
        "AO": "Adaptation and Self-Organizing Systems",
        "CD": "Chaotic Dynamics",
        "CG": "Cellular Automata and Lattice Gases",
        "PS": "Pattern Formation and Solitons",
        "SI": "Exactly Solvable and Integrable Systems",
    },
    "physics": {
        "acc-ph": "Accelerator Physics",
        "ao-ph": "Atmospheric and Oceanic Physics",
        "app-ph": "Applied Physics",
        "atm-clus": "Atomic and Molecular Clusters",
        "atom-ph": "Atomic Physics",
        "bio-ph": "Biological Physics",
        "chem-ph": "Chemical Physics",
        "class-ph": "Classical Physics",
        "comp-ph": "Computational Physics",
        "data-an": "Data Analysis, Statistics and Probability",
        "ed-ph": "Physics Education",
        "flu-dyn": "Fluid Dynamics",
        "gen-ph": "General Physics",
        "geo-ph": "Geophysics",
        "hist-ph": "History and Philosophy of Physics",
        "ins-det": "Instrumentation and Detectors",
        "med-ph": "Medical Physics",
        "optics": "Optics",
        "plasm-ph": "Plasma Physics",
        "pop-ph": "Popular Physics",
        "soc-ph": "Physics and Society",
        "space-ph": "Space Physics",
    },
    "q-bio": {
        "BM": "Biomolecules",
        "CB": "Cell Behavior",
        "GN": "Genomics",
        "MN": "Molecular Networks",
        "NC": "Neurons and Cognition",
        "OT": "Other Quantitative Biology",
        "PE": "Populations and Evolution",
        "QM": "Quantitative Methods",
        "SC": "Subcellular Processes",
        "TO": "Tissues and Organs",
    },
    "q-fin": {
        "CP": "Computational Finance",
        "EC": "Economics",
        "GN": "General Finance",
        "MF": "Mathematical Finance",
        "PM": "Portfolio Management",
        "PR": "Pricing of Securities",
        "RM": "Risk Management",
        "ST": "Statistical Finance",
        "TR": "Trading and Market Microstructure",
    },
    "stat": {
        "AP": "Applications",
        "CO": "Computation",
        "ME": "Methodology",
        "ML": "Machine Learning",
        "OT": "Other Statistics",
        "TH": "Statistics Theory",
    },
}

# Archives that have no sub-categories: the archive code is the category.
_SINGLE = ("gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nucl-ex", "nucl-th", "quant-ph")

# Official arXiv aliases (the two codes always appear together): alias -> canonical code.
ALIASES: dict[str, str] = {
    "cs.SY": "eess.SY",
    "cs.NA": "math.NA",
    "math.IT": "cs.IT",
    "math.MP": "math-ph",
    "stat.TH": "math.ST",
    "q-fin.EC": "econ.GN",
}

# Retired archives that still occur on old papers (the 2007 snapshot uses some of them).
LEGACY: dict[str, str] = {
    "astro-ph": "Astrophysics (before sub-categories, 2009)",
    "cond-mat": "Condensed Matter (no sub-category)",
    "acc-phys": "Accelerator Physics (retired)",
    "adap-org": "Adaptation, Noise, and Self-Organizing Systems (retired)",
    "alg-geom": "Algebraic Geometry (retired)",
    "ao-sci": "Atmospheric-Oceanic Sciences (retired)",
    "atom-ph": "Atomic, Molecular and Optical Physics (retired)",
    "bayes-an": "Bayesian Analysis (retired)",
    "chao-dyn": "Chaotic Dynamics (retired)",
    "chem-ph": "Chemical Physics (retired)",
    "cmp-lg": "Computation and Language (retired)",
    "comp-gas": "Cellular Automata and Lattice Gases (retired)",
    "dg-ga": "Differential Geometry (retired)",
    "funct-an": "Functional Analysis (retired)",
    "mtrl-th": "Materials Theory (retired)",
    "patt-sol": "Pattern Formation and Solitons (retired)",
    "plasm-ph": "Plasma Physics (retired)",
    "q-alg": "Quantum Algebra and Topology (retired)",
    "solv-int": "Exactly Solvable and Integrable Systems (retired)",
    "supr-con": "Superconductivity (retired)",
}

NAMES: dict[str, str] = {code: ARCHIVES[code] for code in _SINGLE}
for _archive, _subs in _SUB.items():
    for _code, _name in _subs.items():
        NAMES[f"{_archive}.{_code}"] = _name

_CODE = re.compile(r"^[a-z][a-z-]*(\.[A-Za-z][A-Za-z-]*)?$")


def is_category(code: str) -> bool:
    """True for a current arXiv category code (aliases included), e.g. ``cs.LG`` or ``hep-th``."""
    return code in NAMES


def canonical(code: str) -> str | None:
    """The canonical current category for an arXiv code (aliases resolved), or None.

    Legacy whole-archive codes (``astro-ph`` before 2009) and non-arXiv classes that some feeds mix
    into the category list (MSC ``68T45``, ACM ``I.2.10``) give None.
    """
    code = (code or "").strip()
    if not _CODE.match(code):
        return None
    code = ALIASES.get(code, code)
    return code if code in NAMES else None


def archive(code: str) -> str:
    """The archive of a category: the part before the dot (``cs``, ``astro-ph``, ``hep-th``)."""
    return code.split(".", 1)[0]


def archive_set(code: str) -> set[str]:
    """The archives of a category: its own and those of its official aliases (math.ST is stat.TH)."""
    return {archive(code)} | {archive(alias) for alias, canon in ALIASES.items() if canon == code}


def name(code: str) -> str:
    """A human-readable name: ``cs.LG`` -> "Machine Learning"; unknown codes are returned as is."""
    if code in NAMES:
        return NAMES[code]
    if code in LEGACY:
        return LEGACY[code]
    if code in ARCHIVES:
        return ARCHIVES[code]
    return code


def listed(categories: list[str]) -> list[str]:
    """The arXiv categories a digest lists for a paper, in its order (primary first), without the
    non-arXiv classes some feeds mix in (MSC, ACM) and without repeats; an unknown alias is resolved."""
    codes: list[str] = []
    for raw in categories or []:
        given = (raw or "").strip()
        code = given if given in NAMES else canonical(given)
        if code and code not in codes:
            codes.append(code)
    return codes


def zotero_tag(code: str) -> str:
    """The tag Zotero's own arXiv import gives a category (the arXiv OAI subject wording):
    ``cs.LG`` -> "Computer Science - Machine Learning", ``hep-th`` -> "High Energy Physics - Theory",
    ``quant-ph`` -> "Quantum Physics"; anything else is returned as it is."""
    if code in ARCHIVES and code in NAMES:  # an archive without sub-categories
        return ARCHIVES[code]
    if "." in code and code in NAMES:
        return f"{ARCHIVES[archive(code)]} - {NAMES[code]}"
    return code


def full_name(code: str) -> str:
    """Name with its archive for context: ``astro-ph.GA`` -> "Astrophysics: Astrophysics of Galaxies"."""
    if "." in code and code in NAMES:
        return f"{ARCHIVES[archive(code)]}: {NAMES[code]}"
    return name(code)
