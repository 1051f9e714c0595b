"""I-CLSC open data: synthetic extracts, privacy protection and publication helpers."""

from pathlib import Path

__version__ = "0.1.0"


def project_dir() -> Path:
    """The dbt project root (holds dbt_project.yml), found from the package or ICLSC_PROJECT_DIR."""
    import os

    env = os.environ.get("ICLSC_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "dbt_project.yml").is_file():
            return parent
    return Path.cwd().resolve()
