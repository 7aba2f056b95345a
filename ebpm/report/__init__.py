"""Reports made from the warehouse: today the offline HTML page (:mod:`~ebpm.report.html`);
the committee pack's workbook, document and slide writers belong beside it.
"""

from ebpm.report.html import FORMATS, ReportResult, write_report

__all__ = ["FORMATS", "ReportResult", "write_report"]
