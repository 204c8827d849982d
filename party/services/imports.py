"""Import of party organisations and members from the city's existing spreadsheets (.xlsx).

Every row is checked first and gets its line in a report (in the reader's language). Then, by mode:
"check" writes nothing; "all" writes everything or, if any row has an error, nothing; "skip" writes
the good rows and leaves out the bad ones. Importing the same file twice changes nothing the second
time: organisations are matched by their code, members by their mobile number or, without one, by
branch, name and birth year. Only organisations within the importer's scope can be written to.
No ID card number is read, even when the sheet has a column for it.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import Area, PartyOrg, User, mobile_validator
from core.services.audit import audit_record
from core.services.trees import party_org_create
from core.spreadsheets import cell_date, choice_lookup
from core.textinput import ascii_int
from party.access import party_scope
from party.models import (
    Education,
    Gender,
    MemberRecord,
    Occupation,
    OrgProfile,
    TalentEntry,
    TalentRole,
    UnitKind,
)
from party.services.members import check_member_dates
from party.signals import announce_member_changed

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MODES = ("check", "all", "skip")

# Column headers as the sheets have them (Chinese, as the city's files are), or in English.
ORG_COLUMNS = {
    "code": ("组织编码", "code"),
    "name": ("组织名称", "name"),
    "kind": ("组织类型", "type"),
    "parent": ("上级组织编码", "parent code"),
    "area": ("所在区域编码", "area code"),
    "unit_kind": ("单位类别", "kind of unit"),
    "founded_on": ("成立日期", "founded on"),
    "contact_name": ("联系人", "contact person"),
    "contact_phone": ("联系电话", "contact phone"),
}
MEMBER_COLUMNS = {
    "name": ("姓名", "name"),
    "gender": ("性别", "gender"),
    "birth_year": ("出生年份", "year of birth"),
    "branch": ("所在支部编码", "branch code"),
    "status": ("党员类别", "membership"),
    "joined_on": ("入党日期", "joined the party on"),
    "full_member_on": ("转正日期", "became a full member on"),
    "education": ("学历", "education"),
    "occupation": ("职业", "occupation"),
    "work_unit": ("工作单位", "work unit"),
    "phone": ("手机号", "phone"),
    "talent": ("党务人才", "party-affairs talent"),
    "skills": ("特长", "skills"),
}
ORG_REQUIRED = ("code", "name", "kind")
MEMBER_REQUIRED = ("name", "gender", "birth_year", "branch", "status", "joined_on")
ORG_SHEETS = ("党组织", "组织", "organisations")
MEMBER_SHEETS = ("党员", "members")


STATUS_LABELS = {
    "ok": gettext_lazy("Correct"),
    "checked": gettext_lazy("Correct"),
    "created": gettext_lazy("Created"),
    "updated": gettext_lazy("Updated"),
    "unchanged": gettext_lazy("Unchanged"),
    "skipped": gettext_lazy("Left out"),
    "error": gettext_lazy("Error"),
}


@dataclass
class RowResult:
    sheet: str
    row: int
    label: str
    status: str = "ok"  # ok → created / updated / unchanged / skipped; or error
    messages: list[str] = field(default_factory=list)

    def error(self, message: str) -> None:
        self.status = "error"
        self.messages.append(message)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))


@dataclass
class ImportReport:
    mode: str
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def errors(self) -> list[RowResult]:
        return [r for r in self.rows if r.status == "error"]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.errors


# --- Parsing cells ------------------------------------------------------------------------------


def _choice_maps() -> dict[str, dict[str, str]]:
    return {
        "kind": choice_lookup(
            PartyOrg.Kind.choices, ("支部", "branch"), ("总支", "general_branch"), ("党工委", "committee")
        ),
        "unit_kind": choice_lookup(
            UnitKind.choices, ("非公有制企业", "private_enterprise"), ("国企", "state_enterprise")
        ),
        "gender": choice_lookup(Gender.choices, ("m", "m"), ("f", "f")),
        "status": choice_lookup(MemberRecord.Status.choices, ("正式", "full"), ("预备", "probationary")),
        "education": choice_lookup(
            Education.choices,
            ("本科", "bachelor"),
            ("大专", "college"),
            ("专科", "college"),
            ("硕士", "postgraduate"),
            ("博士", "postgraduate"),
            ("高中", "secondary"),
            ("中专", "secondary"),
            ("初中", "junior"),
            ("小学", "junior"),
        ),
        "occupation": choice_lookup(
            Occupation.choices, ("外卖员", "delivery_rider"), ("骑手", "delivery_rider"), ("快递小哥", "courier")
        ),
        "talent": choice_lookup(TalentRole.choices),
    }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y-%m", "%Y/%m", "%Y.%m", "%Y年%m月")


def _date(value: Any) -> datetime.date | None:
    return cell_date(value, formats=_DATE_FORMATS)


def _header_map(header: tuple, columns: dict[str, tuple[str, str]]) -> dict[str, int]:
    wanted = {name.lower(): key for key, names in columns.items() for name in names}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = wanted.get(_text(cell).lower())
        if key and key not in found:
            found[key] = index
    return found


def _find_sheet(workbook, names: tuple[str, ...]):
    for ws in workbook.worksheets:
        if ws.title.strip().lower() in names:
            return ws
    return None


# --- The import ---------------------------------------------------------------------------------


@dataclass
class _OrgRow:
    result: RowResult
    code: str
    name: str
    kind: str
    parent_code: str
    area: Area | None
    profile: dict[str, Any]


@dataclass
class _MemberRow:
    result: RowResult
    branch_code: str
    data: dict[str, Any]
    talent: list[str]
    record: MemberRecord | None = None


def party_import_workbook(*, by: User, file: IO[bytes], mode: str, request: HttpRequest | None = None) -> ImportReport:
    """Check (and, by mode, write) the organisations and members of one workbook."""
    from openpyxl import load_workbook

    report = ImportReport(mode=mode if mode in MODES else "check")
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        report.file_errors.append(_("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
        return report
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        report.file_errors.append(_("This is not an Excel workbook (.xlsx)."))
        return report
    try:
        org_sheet, member_sheet = _find_sheet(workbook, ORG_SHEETS), _find_sheet(workbook, MEMBER_SHEETS)
        if org_sheet is None and member_sheet is None:
            report.file_errors.append(_("The workbook has neither a sheet named “党组织” nor one named “党员”."))
            return report
        maps = _choice_maps()
        scope = party_scope(by)
        orgs_by_code = {o.code: o for o in PartyOrg.objects.select_related("area")}
        org_rows = _read_orgs(org_sheet, report, maps, scope, orgs_by_code) if org_sheet is not None else []
        new_codes = {r.code for r in org_rows if r.result.status != "error" and r.code not in orgs_by_code}
        member_rows = (
            _read_members(member_sheet, report, maps, scope, orgs_by_code, new_codes)
            if member_sheet is not None
            else []
        )
    finally:
        workbook.close()
    if report.file_errors or report.mode == "check" or (report.mode == "all" and report.errors):
        for r in report.rows:
            if r.status != "error":
                r.status = "checked"
        return report
    with transaction.atomic():
        _write_orgs(org_rows, orgs_by_code)
        _write_members(member_rows, orgs_by_code)
        report.written = True
        audit_record(
            actor=by,
            action="party.import",
            request=request,
            detail={s: report.count(s) for s in ("created", "updated", "unchanged", "error")},
        )
    return report


def _rows(ws, columns: dict[str, tuple[str, str]], required: tuple[str, ...], report: ImportReport, title: str):
    iterator = ws.iter_rows(values_only=True)
    header = next(iterator, None)
    if header is None:
        return
    index = _header_map(header, columns)
    missing = [columns[k][0] for k in required if k not in index]
    if missing:
        report.file_errors.append(
            _("Sheet “%(sheet)s” lacks the columns: %(columns)s") % {"sheet": title, "columns": "、".join(missing)}
        )
        return
    for number, values in enumerate(iterator, start=2):
        if number - 1 > MAX_ROWS:
            report.file_errors.append(
                _("Sheet “%(sheet)s” has more than %(n)s rows.") % {"sheet": title, "n": MAX_ROWS}
            )
            return
        if not values or all(v in (None, "") for v in values):
            continue
        yield number, {key: values[i] if i < len(values) else None for key, i in index.items()}


def _choice(result: RowResult, maps, key: str, value: Any, label: str, *, required: bool = False) -> str:
    text = _text(value)
    if not text:
        if required:
            result.error(_("%(column)s is empty.") % {"column": label})
        return ""
    found = maps[key].get(text.lower())
    if found is None:
        result.error(_("%(column)s “%(value)s” is not one of the known values.") % {"column": label, "value": text})
        return ""
    return found


def _read_orgs(ws, report, maps, scope, orgs_by_code) -> list[_OrgRow]:
    title = ws.title
    areas = {a.code: a for a in Area.objects.all()}
    seen: set[str] = set()
    rows: list[_OrgRow] = []
    file_codes: dict[str, str] = {}
    for number, cells in _rows(ws, ORG_COLUMNS, ORG_REQUIRED, report, title):
        code, name = _text(cells.get("code")), _text(cells.get("name"))
        result = RowResult(sheet=title, row=number, label=f"{code} {name}".strip())
        report.rows.append(result)
        if not code or "/" in code or len(code) > 32:
            result.error(_("The organisation code is empty, too long or contains “/”."))
        elif code in seen:
            result.error(_("The code %(code)s appears twice in the sheet.") % {"code": code})
        seen.add(code)
        if not name:
            result.error(_("%(column)s is empty.") % {"column": ORG_COLUMNS["name"][0]})
        kind = _choice(result, maps, "kind", cells.get("kind"), ORG_COLUMNS["kind"][0], required=True)
        unit_kind = _choice(result, maps, "unit_kind", cells.get("unit_kind"), ORG_COLUMNS["unit_kind"][0])
        parent_code = _text(cells.get("parent"))
        area_code = _text(cells.get("area"))
        area = areas.get(area_code) if area_code else None
        if area_code and area is None:
            result.error(_("No area has the code %(code)s.") % {"code": area_code})
        try:
            founded = _date(cells.get("founded_on"))
        except ValueError as error:
            result.error(_("“%(value)s” is not a date.") % {"value": error.args[0]})
            founded = None
        existing = orgs_by_code.get(code)
        parent = orgs_by_code.get(parent_code) if parent_code else None
        if existing is not None:
            if not scope.covers(existing):
                result.error(_("The organisation %(code)s is not one you keep.") % {"code": code})
            elif (existing.parent.code if existing.parent_id else "") != parent_code:
                result.error(_("Import does not move an organisation to another parent."))
            elif existing.kind != kind and kind:
                result.error(_("Import does not change an organisation's type."))
        elif not parent_code:
            result.error(_("A new organisation needs its parent's code."))
        elif parent is None and parent_code not in file_codes:
            result.error(
                _("No organisation has the code %(code)s (parents come before their children).") % {"code": parent_code}
            )
        elif parent is not None and not scope.covers(parent):
            result.error(_("The parent %(code)s is not an organisation you keep.") % {"code": parent_code})
        if result.status != "error" and existing is None:
            file_codes[code] = parent_code
        profile = {
            "unit_kind": unit_kind or None,
            "founded_on": founded,
            "contact_name": _text(cells.get("contact_name"))[:50] or None,
            "contact_phone": _text(cells.get("contact_phone"))[:20] or None,
        }
        rows.append(_OrgRow(result, code, name[:100], kind, parent_code, area, profile))
    # A child whose parent row failed cannot be created either.
    failed = {r.code for r in rows if r.result.status == "error"}
    for r in rows:
        if r.result.status != "error" and r.code not in orgs_by_code and r.parent_code in failed:
            r.result.error(_("Its parent %(code)s has errors.") % {"code": r.parent_code})
            failed.add(r.code)
    return rows


_MASKED = re.compile(r"\*")


def _read_members(ws, report, maps, scope, orgs_by_code, new_codes) -> list[_MemberRow]:
    title = ws.title
    parsed: list[_MemberRow] = []
    for number, cells in _rows(ws, MEMBER_COLUMNS, MEMBER_REQUIRED, report, title):
        name = _text(cells.get("name"))[:50]
        result = RowResult(sheet=title, row=number, label=name)
        report.rows.append(result)
        if not name:
            result.error(_("%(column)s is empty.") % {"column": MEMBER_COLUMNS["name"][0]})
        data: dict[str, Any] = {"name": name}
        data["gender"] = _choice(
            result, maps, "gender", cells.get("gender"), MEMBER_COLUMNS["gender"][0], required=True
        )
        data["status"] = _choice(
            result, maps, "status", cells.get("status"), MEMBER_COLUMNS["status"][0], required=True
        )
        data["education"] = _choice(result, maps, "education", cells.get("education"), MEMBER_COLUMNS["education"][0])
        data["occupation"] = (
            _choice(result, maps, "occupation", cells.get("occupation"), MEMBER_COLUMNS["occupation"][0])
            or Occupation.OTHER
        )
        data["work_unit"] = _text(cells.get("work_unit"))[:100]
        data["skills"] = _text(cells.get("skills"))[:200]
        year_text = _text(cells.get("birth_year"))
        this_year = timezone.localdate().year
        year = ascii_int(year_text)
        if year is not None and 1900 <= year <= this_year - 16:
            data["birth_year"] = year
        else:
            result.error(_("The year of birth “%(value)s” is not a year.") % {"value": year_text})
        bad_date = False
        for key in ("joined_on", "full_member_on"):
            try:
                data[key] = _date(cells.get(key))
            except ValueError as error:
                data[key], bad_date = None, True
                result.error(_("“%(value)s” is not a date.") % {"value": error.args[0]})
        if data["joined_on"] is None and not bad_date:
            result.error(_("%(column)s is empty.") % {"column": MEMBER_COLUMNS["joined_on"][0]})
        if data.get("status") and data["joined_on"]:
            try:
                check_member_dates(data)
            except ValidationError as error:
                for message in error.messages:
                    result.error(message)
        phone = _text(cells.get("phone")).replace(" ", "").replace("-", "")
        if phone and not _MASKED.search(phone):
            try:
                mobile_validator(phone)
                data["phone"] = phone
            except ValidationError:
                result.error(_("The mobile number “%(value)s” is not an 11-digit mobile number.") % {"value": phone})
        talent = []
        for part in re.split(r"[,，、;；\s]+", _text(cells.get("talent"))):
            if part:
                value = maps["talent"].get(part.lower())
                if value is None:
                    result.error(_("Party-affairs talent “%(value)s” is not one of the known roles.") % {"value": part})
                else:
                    talent.append(value)
        branch_code = _text(cells.get("branch"))
        branch = orgs_by_code.get(branch_code)
        if branch is None and branch_code not in new_codes:
            result.error(_("No organisation has the code %(code)s.") % {"code": branch_code})
        elif branch is not None and not scope.covers(branch):
            result.error(_("The organisation %(code)s is not one you keep.") % {"code": branch_code})
        parsed.append(_MemberRow(result, branch_code, data, talent))
    _match_members(parsed, orgs_by_code)
    return parsed


def _match_members(rows: list[_MemberRow], orgs_by_code: dict[str, PartyOrg]) -> None:
    """Find each row's existing record: by mobile number, else by branch, name and birth year."""
    phones = {r.data["phone"] for r in rows if r.data.get("phone")}
    by_phone = {m.phone: m for m in MemberRecord.objects.filter(phone__in=phones)}
    branch_ids = {orgs_by_code[r.branch_code].pk for r in rows if r.branch_code in orgs_by_code}
    by_identity: dict[tuple, list[MemberRecord]] = {}
    for m in MemberRecord.objects.filter(branch_id__in=branch_ids):
        by_identity.setdefault((m.branch_id, m.name, m.birth_year), []).append(m)
    seen: dict[tuple, int] = {}
    for r in rows:
        if r.result.status == "error":
            continue
        branch = orgs_by_code.get(r.branch_code)
        key = (
            ("phone", r.data["phone"])
            if r.data.get("phone")
            else ("id", r.branch_code, r.data["name"], r.data["birth_year"])
        )
        if key in seen:
            r.result.error(_("The same member appears twice in the sheet (row %(row)s).") % {"row": seen[key]})
            continue
        seen[key] = r.result.row
        record = by_phone.get(r.data.get("phone")) if r.data.get("phone") else None
        if record is None and branch is not None:
            candidates = by_identity.get((branch.pk, r.data["name"], r.data["birth_year"]), [])
            if len(candidates) > 1:
                r.result.error(
                    _("Several members of the branch have this name and year of birth; add the mobile number.")
                )
                continue
            record = candidates[0] if candidates else None
        if record is not None and branch is not None and record.branch_id != branch.pk:
            r.result.error(
                _("This member belongs to %(org)s; move them with a transfer.") % {"org": record.branch.name}
            )
            continue
        r.record = record


def _write_orgs(rows: list[_OrgRow], orgs_by_code: dict[str, PartyOrg]) -> None:
    for r in rows:
        if r.result.status == "error":
            r.result.status = "skipped"
            continue
        org = orgs_by_code.get(r.code)
        changed = False
        if org is None:
            org = party_org_create(
                name=r.name, code=r.code, kind=r.kind, parent=orgs_by_code[r.parent_code], area=r.area
            )
            orgs_by_code[r.code] = org
            r.result.status = "created"
        elif org.name != r.name or (r.area is not None and org.area_id != r.area.pk):
            org.name = r.name
            if r.area is not None:
                org.area = r.area
            org.save(update_fields=["name", "area"])
            changed = True
        profile, created = OrgProfile.objects.get_or_create(org=org)
        for name, value in r.profile.items():
            if value is not None and getattr(profile, name) != value:
                setattr(profile, name, value)
                changed = True
        if changed or created:
            profile.save()
        if r.result.status != "created":
            r.result.status = "updated" if changed else "unchanged"


FIELDS = (
    "name",
    "gender",
    "birth_year",
    "status",
    "joined_on",
    "full_member_on",
    "education",
    "occupation",
    "work_unit",
    "phone",
    "skills",
)


def _write_members(rows: list[_MemberRow], orgs_by_code: dict[str, PartyOrg]) -> None:
    new, changed = [], []
    talent: list[tuple[MemberRecord, list[str]]] = []
    for r in rows:
        if r.result.status == "error":
            r.result.status = "skipped"
            continue
        branch = orgs_by_code[r.branch_code]
        if r.record is None:
            record = MemberRecord(branch=branch, **{k: v for k, v in r.data.items() if k in FIELDS and v is not None})
            new.append(record)
            r.result.status = "created"
        else:
            record = r.record
            diff = [
                k for k in FIELDS if k in r.data and r.data[k] not in (None, "") and getattr(record, k) != r.data[k]
            ]
            # An emptied optional column clears nothing: spreadsheets often leave cells blank.
            for k in diff:
                setattr(record, k, r.data[k])
            if diff:
                changed.append(record)
            r.result.status = "updated" if diff else "unchanged"
        talent.append((record, r.talent))
    MemberRecord.objects.bulk_create(new, batch_size=1000)
    MemberRecord.objects.bulk_update(changed, list(FIELDS), batch_size=1000)
    for record in (*new, *changed):
        announce_member_changed(record.pk)
    have = set(
        TalentEntry.objects.filter(member__in=[m for m, roles in talent if roles]).values_list("member_id", "role")
    )
    entries = [
        TalentEntry(member=m, role=role, since=timezone.localdate())
        for m, roles in talent
        for role in roles
        if (m.pk, role) not in have
    ]
    TalentEntry.objects.bulk_create(entries, ignore_conflicts=True)
    for r, (m, roles) in zip([r for r in rows if r.result.status != "skipped"], talent, strict=True):
        if r.result.status == "unchanged" and any((m.pk, role) not in have for role in roles):
            r.result.status = "updated"
