"""Bulk upload: a job from a file (multipart ``file=`` or the raw body) in JSON, XML, XLSX or CSV,
the flat layout's templates, and hostile files refused with a message naming the problem."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import orjson
import pytest
import xlsxwriter

from jdx.codecs.xmlform import to_xml
from jdx.exchanges.cases import workflow as case_jobs
from jdx.exchanges.cases.jobs import CaseImport
from jdx.exchanges.cases.tables import client_limits
from jdx.exchanges.cases.upload import (
    XLSX_TYPE,
    JobFileError,
    job_layout,
    job_templates,
    read_job_file,
)
from jdx.hub import Hub
from jdx.store.queries import now
from tests.conftest import AgencyFixture
from tests.exchanges.cases.test_import import count_jobs, missing, unidentified


def csv_of(items: list[dict[str, Any]]) -> bytes:
    layout = job_layout()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(layout.names)
    writer.writerows(layout.to_row(i["type"], i["record"]) for i in items)
    return buffer.getvalue().encode()


def xlsx_of(items: list[dict[str, Any]]) -> bytes:
    rows = list(csv.reader(io.StringIO(csv_of(items).decode())))
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value:
                sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def element(root: str, record: dict[str, Any]) -> bytes:
    """The record's XML element, without the declaration (it goes inside an ImportJob)."""
    return to_xml(root, record).split(b"?>", 1)[-1].strip()


def upload(client: Any, agency: AgencyFixture, name: str, data: bytes, media: str) -> Any:
    return client.post("/namus/v1/jobs", files={"file": (name, data, media)}, headers=agency.auth())


def test_the_templates_read_back_as_valid_cases(hub: Hub) -> None:
    importer = hub.service(CaseImport)
    for name, data in job_templates().items():
        read = read_job_file(name, data)
        assert [kind for kind, _ in read] == ["missing", "unidentified", "cancellation"]
        for kind, record in read:
            assert importer.check(kind, record).errors == [], (name, kind)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "xml"])
def test_an_uploaded_file_is_a_job_like_any_other(
    workflows: Hub, client: Any, agency: AgencyFixture, fmt: str
) -> None:
    items = [missing(), unidentified()]
    files = {
        "csv": ("cases.csv", csv_of(items), "text/csv"),
        "xlsx": ("cases.xlsx", xlsx_of(items), XLSX_TYPE),
        "json": ("cases.json", orjson.dumps({"cases": items}), "application/json"),
        "xml": (
            "cases.xml",
            b"<ImportJob>"
            + element("MissingPersonCase", items[0]["record"])
            + element("UnidentifiedPersonCase", items[1]["record"])
            + b"</ImportJob>",
            "application/xml",
        ),
    }
    answer = upload(client, agency, *files[fmt])
    assert answer.status_code == 202, answer.text
    case_jobs.wait(answer.json()["job_id"])
    status = client.get(answer.headers["location"], headers=agency.auth()).json()
    assert (status["format"], status["created"], status["rejected"]) == (fmt, 2, 0)
    numbers = {c["client_case_number"] for c in status["cases"]}
    assert numbers == {
        items[0]["record"]["investigatingAgencies"][0]["caseNumber"],
        items[1]["record"]["caseIdentification"]["caseNumber"],
    }


def test_the_raw_body_of_a_spreadsheet_is_a_job(
    workflows: Hub, client: Any, agency: AgencyFixture
) -> None:
    for body, media in ((xlsx_of([missing()]), XLSX_TYPE), (csv_of([missing()]), "text/csv")):
        answer = client.post(
            "/namus/v1/jobs", content=body, headers={**agency.auth(), "Content-Type": media}
        )
        assert answer.status_code == 202, answer.text
        assert case_jobs.wait(answer.json()["job_id"])["created"] == 1


def test_invalid_cases_of_a_file_are_reported_per_case(
    workflows: Hub, client: Any, agency: AgencyFixture
) -> None:
    bad = missing()
    del bad["record"]["subjectIdentification"]["lastName"]
    answer = upload(client, agency, "cases.csv", csv_of([missing(), bad]), "text/csv")
    counts = case_jobs.wait(answer.json()["job_id"])
    assert (counts["created"], counts["rejected"]) == (1, 1)


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (80 << 20))
    return buffer.getvalue()


def header() -> str:
    return ",".join(job_layout().names)


HOSTILE = {
    "zip bomb": (zip_bomb(), "zip bomb"),
    "entities": (
        b'<?xml version="1.0"?><!DOCTYPE j [<!ENTITY a "aaaa">]><ImportJob>&a;</ImportJob>',
        "DOCTYPE and ENTITY",
    ),
    "ragged": ((header() + "\r\nmissing,JANE\r\n").encode(), "row 2 has 2 cells"),
    "not utf-8": ((header() + "\r\nmissing," + "\xe9" * 3).encode("latin-1"), "not UTF-8"),
    "unknown column": (b"recordType,subjectIdentification.shoeSize\r\nmissing,44\r\n", "shoeSize"),
    "no type column": (b"subjectIdentification.lastName\r\nDOE\r\n", "'recordType'"),
    "bad type": (b"recordType,caseNumber\r\nstolen,1\r\n", "recordType must be one of"),
    "gap in a list": (
        b"recordType,investigatingAgencies[2].name\r\nmissing,X\r\n",
        "investigatingAgencies[1] is missing",
    ),
    "twice": (b"recordType,caseNumber,caseNumber\r\ncancellation,1,2\r\n", "given twice"),
    "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
    "not a workbook": (b"PK\x03\x04garbage", "not a readable zip"),
    "header only": (b"recordType,caseNumber\r\n", "no case"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files_are_refused_naming_the_problem_and_nothing_is_stored(
    hub: Hub, client: Any, agency: AgencyFixture, name: str
) -> None:
    data, expected = HOSTILE[name]
    with pytest.raises(JobFileError, match="upload.bin: .*" + expected.replace("[", r"\[")):
        read_job_file("upload.bin", data)
    answer = upload(client, agency, "upload.bin", data, "application/octet-stream")
    assert answer.status_code == 400 and expected in answer.json()["detail"], answer.text
    assert count_jobs(hub, agency) == 0


def test_a_file_over_the_limits_is_refused_whole(
    hub: Hub, client: Any, agency: AgencyFixture
) -> None:
    with hub.engine.begin() as conn:
        conn.execute(
            client_limits.insert().values(
                agency_id=agency.id, max_cases_per_job=2, max_job_bytes=4000,
                max_jobs_per_day=10, updated_at=now(),
            )
        )  # fmt: skip
    three = csv_of([missing(), missing(), missing()])
    assert len(three) < 4000
    answer = upload(client, agency, "three.csv", three, "text/csv")
    assert answer.status_code == 413 and "at most 2 cases" in answer.json()["detail"]
    big = upload(client, agency, "big.csv", three + b" " * 4000, "text/csv")
    assert big.status_code == 413
    assert count_jobs(hub, agency) == 0


def test_a_multipart_body_without_the_file_part_is_refused(
    hub: Hub, client: Any, agency: AgencyFixture
) -> None:
    answer = client.post(
        "/namus/v1/jobs", files={"other": ("x.csv", b"a", "text/csv")}, headers=agency.auth()
    )
    assert answer.status_code == 400 and '"file"' in answer.json()["detail"]


def test_the_job_template_offers_the_code_tables_as_drop_downs() -> None:
    from tests.dictionary.test_icd import drop_downs

    offered = drop_downs(job_templates()["case-job-template.xlsx"], "job")
    assert offered, "no drop-down at all"
    assert all(codes for codes in offered.values())
    assert "subjectDescription.sex.name" in offered and "caseType" in offered, offered.keys()
    assert len(offered["subjectDescription.sex.name"]) >= 2
