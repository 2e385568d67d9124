"""Reports: test metrics (scikit-learn), plots (matplotlib) and report.md (jinja2)."""
