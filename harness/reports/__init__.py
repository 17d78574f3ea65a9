"""Reports: report.json, report.md and report.html, built from one view of the JSON report."""
