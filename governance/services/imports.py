"""Excel import of buildings, households and residents (楼栋、房屋、居民) as a job with a report.

The workbook has up to three sheets, each optional, read in this order: 楼栋 (a building per row:
its grid, number and model), 房屋 (a household per row, by room label 3-2-501: status, occupant …),
居民 (a resident per row, by room label). Every row is checked first and gets its problems per
column in the importer's language; then, by mode: "check" writes nothing, "all" writes everything
or — when any row has an error — nothing, "skip" writes the correct rows and leaves out the rest.
The writes happen in one transaction, so a failure half-way leaves nothing half-imported.

Importing the same file again adds nothing: buildings are found by grid and number, households by
room label, residents by the keyed hash of their ID number (or, without one, by household, name and
year of birth). Only grids the importer keeps (core.access.can_change_area) can be written to. The
upload holds ID numbers: it is stored encrypted until the job has run, and the report never repeats
an ID or phone number.

A small file is imported while the person waits; a larger one is a background task (django-tasks)
that claims its job row, reports progress on it, and is shown by a page that polls it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.access import can_change_area
from core.crypto import blind_index, decrypt_bytes, encrypt_bytes
from core.masking import mask_name
from core.models import Area, User
from core.services.audit import audit_record
from core.services.notifications import notification_send
from core.spreadsheets import SpreadsheetError, cell_date, cell_str, choice_lookup, xlsx_open
from core.textinput import ascii_int
from core.validators import id_number_validator, mobile_validator
from governance.addresses import address_key
from governance.forms import BuildingForm
from governance.layout import Layout
from governance.models import ADULT_AGE, GUARDIAN_AGE, Building, CareTag, Household, ImportJob, Relation, Resident
from governance.services.buildings import building_save, layout_error
from governance.services.residents import PHONE_INDEX_PURPOSE, id_number_hash, visit_plan_for
from governance.signals import announce_grids_changed

logger = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
# All parts of the workbook unpacked: a full 20,000-row file is a few tens of MB.
MAX_UNPACKED = 150 * 1024 * 1024
MAX_ROWS = 20_000
# A file up to this size (a few hundred rows) is imported while the person waits; larger is a task.
INLINE_MAX_BYTES = 48 * 1024
# Rows with problems kept in the report; the counts cover every row.
REPORT_LIMIT = 2_000
# A running job whose worker has not written a heartbeat for this long is taken for dead. The write
# phase (one transaction, no heartbeat) of a 20,000-row file takes about a minute.
STALL_AFTER = timedelta(minutes=10)
PROGRESS_EVERY = 200
STORAGE_PREFIX = "governance/imports"

BUILDINGS_SHEET, HOUSEHOLDS_SHEET, RESIDENTS_SHEET = "楼栋", "房屋", "居民"
# Rows whose first cell starts with this are the template's examples, never imported.
EXAMPLE_MARK = "示例"

# Column headers: the city's sheets are in Chinese, as is the template the page hands out.
BUILDING_COLUMNS = {
    "grid": "网格编码",
    "name": "楼栋名称",
    "number": "楼号",
    "address": "地址",
    "unit_count": "单元数",
    "floor_count": "层数",
    "households_per_floor": "每层户数",
    "shop_floors": "底商层数",
    "skipped_floors": "跳过的楼层号",
    "unit_overrides": "不同的单元",
    "latitude": "纬度",
    "longitude": "经度",
}
HOUSEHOLD_COLUMNS = {
    "grid": "网格编码",
    "label": "房号",
    "status": "房屋状态",
    "occupant": "户主或租户",
    "moved_in_on": "入住日期",
    "notes": "备注",
}
RESIDENT_COLUMNS = {
    "grid": "网格编码",
    "label": "房号",
    "name": "姓名",
    "birth_year": "出生年份",
    "relation": "与户主关系",
    "id_number": "身份证号",
    "phone": "手机号",
    "care_tags": "关怀标签",
    "guardian": "监护人姓名",
    "moved_in_on": "入住日期",
}
SHEETS = {
    BUILDINGS_SHEET: (BUILDING_COLUMNS, ("grid", "name", "number", "address", "unit_count", "floor_count")),
    HOUSEHOLDS_SHEET: (HOUSEHOLD_COLUMNS, ("grid", "label")),
    RESIDENTS_SHEET: (RESIDENT_COLUMNS, ("grid", "label", "name")),
}

STATUS_LABELS = {
    "created": gettext_lazy("Added"),
    "updated": gettext_lazy("Updated"),
    "unchanged": gettext_lazy("Unchanged"),
    "checked": gettext_lazy("Correct"),
    "skipped": gettext_lazy("Skipped"),
    "error": gettext_lazy("Error"),
}

_ROOM_LABEL = re.compile(r"^(?P<number>[0-9A-Za-z]+)-(?P<unit>\d{1,2})-(?P<floor>\d{1,2})(?P<room>\d{2})$")
_SPLIT = re.compile(r"[,，、;；/\s]+")


# --- Rows and the report -------------------------------------------------------------------------


@dataclass
class Row:
    sheet: str
    number: int  # the row number in the sheet, as Excel shows it
    cells: dict[str, Any]
    label: str = ""
    status: str = "ok"
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column header, message)

    def error(self, column: str, message: str) -> None:
        self.status = "error"
        self.problems.append((column, message))

    @property
    def ok(self) -> bool:
        # By its problems, not its status: a row with errors stays not ok once marked "skipped".
        return not self.problems

    def problems_in(self, column: str) -> bool:
        return any(c == column for c, _m in self.problems)

    def as_json(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.number,
            "label": self.label,
            "status": self.status,
            "problems": [{"column": c, "message": m} for c, m in self.problems],
        }


@dataclass
class BuildingRow(Row):
    grid: Area | None = None
    data: dict[str, Any] = field(default_factory=dict)
    existing: Building | None = None
    rooms: set[tuple[int, int, int]] = field(default_factory=set)


@dataclass
class HouseholdRow(Row):
    key: tuple | None = None  # (grid id, building number, unit, floor, room)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ResidentRow(Row):
    key: tuple | None = None
    data: dict[str, Any] = field(default_factory=dict)
    tags: list[CareTag] | None = None
    guardian_name: str = ""
    guardian_row: ResidentRow | None = None
    guardian: Resident | None = None
    existing: Resident | None = None


@dataclass
class Outcome:
    rows: list[Row] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    written: bool = False

    def summary(self) -> dict[str, dict[str, int]]:
        sheets: dict[str, dict[str, int]] = {}
        for row in self.rows:
            counts = sheets.setdefault(row.sheet, defaultdict(int))
            counts[row.status] += 1
            counts["rows"] += 1
        total: dict[str, int] = defaultdict(int)
        for counts in sheets.values():
            for key, n in counts.items():
                total[key] += n
        return {**{s: dict(c) for s, c in sheets.items()}, "total": dict(total)}


# --- Reading -------------------------------------------------------------------------------------


def _header_index(header: tuple, columns: dict[str, str]) -> dict[str, int]:
    wanted = {name: key for key, name in columns.items()}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        # "网格编码*" or "网格编码（必填）" as some people mark required columns.
        text = re.sub(r"[*＊]|[（(]必填[)）]", "", cell_str(cell))
        key = wanted.get(text)
        if key and key not in found:
            found[key] = index
    return found


class _TooManyRowsError(Exception):
    pass


def _read_sheets(workbook, outcome: Outcome, on_row) -> dict[str, list[tuple[int, dict]]]:
    """The non-empty rows of each sheet we know, as {column key: cell}; stops at MAX_ROWS."""
    found = {ws.title.strip(): ws for ws in workbook.worksheets}
    if not any(title in found for title in SHEETS):
        outcome.file_errors.append(
            _("The workbook has none of the sheets “%(names)s”: start from the template.")
            % {"names": "”、“".join(SHEETS)}
        )
        return {}
    result: dict[str, list[tuple[int, dict]]] = {}
    count = 0
    for title, (columns, required) in SHEETS.items():
        ws = found.get(title)
        if ws is None:
            continue
        iterator = ws.iter_rows(values_only=True)
        header = next(iterator, None)
        if header is None:
            continue
        index = _header_index(header, columns)
        missing = [columns[k] for k in required if k not in index]
        if missing:
            outcome.file_errors.append(
                _("Sheet “%(sheet)s” lacks the columns: %(columns)s") % {"sheet": title, "columns": "、".join(missing)}
            )
            continue
        rows = result.setdefault(title, [])
        for number, values in enumerate(iterator, start=2):
            if not values or all(v is None or cell_str(v) == "" for v in values):
                continue
            if cell_str(values[0]).startswith(EXAMPLE_MARK):
                continue
            count += 1
            if count > MAX_ROWS:
                raise _TooManyRowsError
            rows.append((number, {key: values[i] if i < len(values) else None for key, i in index.items()}))
            on_row(count)
    return result


def _expected_rows(workbook) -> int:
    total = 0
    for ws in workbook.worksheets:
        if ws.title.strip() in SHEETS:
            total += max(0, (ws.max_row or 0) - 1)
    return total


def parse_room_label(text: str) -> tuple[str, int, int, int] | None:
    """ "3-2-501" → ("3", 2, 5, 1): building number, unit, floor, room on the floor."""
    match = _ROOM_LABEL.match(text.replace("—", "-").replace("－", "-").replace(" ", ""))
    if not match:
        return None
    return match["number"], int(match["unit"]), int(match["floor"]), int(match["room"])


# --- Checking ------------------------------------------------------------------------------------


class _Checker:
    """Checks every row against the database and the rest of the file, in the importer's scope."""

    def __init__(self, *, by: User, sheets: dict[str, list[tuple[int, dict]]]) -> None:
        self.by = by
        self.sheets = sheets
        self.this_year = timezone.localdate().year
        codes = {cell_str(cells.get("grid")) for rows in sheets.values() for _, cells in rows} - {""}
        candidates = Area.objects.filter(level=Area.Level.GRID, code__in=codes)
        # Grids outside the scope and codes that do not exist get the same message: codes can't be probed.
        self.grids = {g.code: g for g in candidates if can_change_area(by, g)}
        self.existing_buildings: dict[tuple[int, str], list[Building]] = defaultdict(list)
        self.addresses: dict[tuple[int, str], int] = {}
        for b in Building.objects.filter(grid__in=self.grids.values()):
            self.existing_buildings[(b.grid_id, b.number)].append(b)
            self.addresses[(b.grid_id, b.address_key)] = b.pk
        # (grid id, building number) → the rooms it will have once the file is imported.
        self.buildings: dict[tuple[int, str], BuildingRow | Building] = {}
        self.households: dict[tuple, Household] = {}
        self.status_names = choice_lookup(Household.Status.choices, ("自有", "owner"), ("租住", "rented"))
        self.relation_names = choice_lookup(
            Relation.choices,
            *[(name, "head") for name in ("本人", "户主本人")],
            *[(name, "spouse") for name in ("妻子", "丈夫", "夫妻")],
            *[(name, "child") for name in ("子", "女", "儿子", "女儿")],
            *[(name, "parent") for name in ("父母", "父亲", "母亲", "岳父", "岳母", "公公", "婆婆")],
            *[(name, "grandparent") for name in ("祖父", "祖母", "外祖父", "外祖母", "爷爷", "奶奶", "姥姥", "姥爷")],
            *[(name, "grandchild") for name in ("孙子", "孙女", "外孙", "外孙女")],
            *[(name, "sibling") for name in ("兄弟", "姐妹", "哥哥", "弟弟", "姐姐", "妹妹")],
            ("租客", "tenant"),
        )
        self.tags = {}
        for tag in CareTag.objects.filter(is_active=True):
            self.tags[tag.name] = tag
            self.tags[tag.code.lower()] = tag

    # Cells

    def grid(self, row: Row, columns: dict[str, str]) -> Area | None:
        code = cell_str(row.cells.get("grid"))
        grid = self.grids.get(code)
        if not code:
            row.error(columns["grid"], _("Empty."))
        elif grid is None:
            row.error(columns["grid"], _("“%(code)s” is not the code of a grid you keep.") % {"code": code})
        return grid

    def date(self, row: Row, column: str, value: Any):
        try:
            return cell_date(value)
        except ValueError:
            row.error(column, _("“%(value)s” is not a date (write it as 2024-05-01).") % {"value": cell_str(value)})
            return None

    def room(self, row: Row, columns: dict[str, str], grid: Area | None) -> tuple | None:
        text = cell_str(row.cells.get("label"))
        parsed = parse_room_label(text)
        if parsed is None:
            row.error(columns["label"], _("“%(value)s” is not a room label like 3-2-501.") % {"value": text[:30]})
            return None
        if grid is None:
            return None
        number, unit, floor, room = parsed
        building = self.buildings.get((grid.pk, number))
        if building is None:
            row.error(
                columns["label"],
                _("Grid %(grid)s has no building number %(number)s (add it on the sheet “%(sheet)s”).")
                % {"grid": grid.code, "number": number, "sheet": BUILDINGS_SHEET},
            )
            return None
        key = (grid.pk, number, unit, floor, room)
        # A building on the sheet has the rooms of its model as the sheet gives it; one only saved, its own.
        if (unit, floor, room) in building.rooms if isinstance(building, BuildingRow) else key in self.households:
            return key
        row.error(columns["label"], _("Building %(number)s has no room %(label)s.") % {"number": number, "label": text})
        return None

    # Sheets

    def check_buildings(self) -> list[BuildingRow]:
        rows = [BuildingRow(BUILDINGS_SHEET, n, cells) for n, cells in self.sheets.get(BUILDINGS_SHEET, [])]
        seen: dict[tuple, int] = {}
        addresses: dict[tuple, int] = {}
        for row in rows:
            grid = row.grid = self.grid(row, BUILDING_COLUMNS)
            form_data = {k: cell_str(row.cells.get(k)) for k in BUILDING_COLUMNS if k != "grid"}
            form_data["shop_floors"] = form_data["shop_floors"] or "0"
            form_data["households_per_floor"] = form_data["households_per_floor"] or ""
            row.label = f"{form_data['name']} {form_data['number']}".strip()[:80]
            form = BuildingForm(data=form_data)
            if not form.is_valid():
                for name, errors in form.errors.items():
                    for message in errors:
                        row.error(BUILDING_COLUMNS.get(name, name), message)
                continue
            data = form.cleaned_data
            layout = Layout.from_values(
                unit_count=data["unit_count"],
                floor_count=data["floor_count"],
                households_per_floor=data["households_per_floor"],
                unit_overrides=data["unit_overrides"],
                shop_floors=data["shop_floors"],
                skipped_floors=data["skipped_floors"],
            )
            for problem in layout.errors():
                row.error(BUILDING_COLUMNS[problem], layout_error(problem))
            if grid is None or not row.ok:
                continue
            key = (grid.pk, data["number"])
            if key in seen:
                row.error(
                    BUILDING_COLUMNS["number"],
                    _("Building %(number)s of this grid is already on row %(row)d.")
                    % {"number": data["number"], "row": seen[key]},
                )
                continue
            seen[key] = row.number
            matches = self.existing_buildings.get(key, [])
            if len(matches) > 1:
                row.error(
                    BUILDING_COLUMNS["number"],
                    _("Several buildings of this grid have the number %(number)s: correct them on the page first.")
                    % {"number": data["number"]},
                )
                continue
            row.existing = matches[0] if matches else None
            folded = (grid.pk, address_key(data["address"]))
            owner = self.addresses.get(folded)
            if folded in addresses or (owner is not None and (row.existing is None or owner != row.existing.pk)):
                row.error(BUILDING_COLUMNS["address"], _("Another building of this grid has this address."))
                continue
            addresses[folded] = row.number
            row.data = {k: data[k] for k in data}
            row.rooms = set(layout.rooms())
        for row in rows:
            if row.ok:
                self.buildings[(row.grid.pk, row.data["number"])] = row
        # Buildings already saved that the file does not list keep their rooms.
        for (grid_id, number), matches in self.existing_buildings.items():
            if len(matches) == 1:
                self.buildings.setdefault((grid_id, number), matches[0])
        saved = [b for b in self.buildings.values() if isinstance(b, Building)]
        saved += [r.existing for r in rows if r.ok and r.existing is not None]
        numbers = {b.pk: b.number for b in saved}
        for h in Household.objects.filter(building__in=saved).select_related("building"):
            self.households[(h.building.grid_id, numbers[h.building_id], h.unit, h.floor, h.room)] = h
        return rows

    def check_households(self) -> list[HouseholdRow]:
        rows = [HouseholdRow(HOUSEHOLDS_SHEET, n, cells) for n, cells in self.sheets.get(HOUSEHOLDS_SHEET, [])]
        seen: dict[tuple, int] = {}
        columns = HOUSEHOLD_COLUMNS
        for row in rows:
            row.label = cell_str(row.cells.get("label"))[:30]
            grid = self.grid(row, columns)
            row.key = self.room(row, columns, grid)
            status_text = cell_str(row.cells.get("status"))
            if status_text:
                status = self.status_names.get(status_text.lower())
                if status is None:
                    row.error(
                        columns["status"],
                        _("“%(value)s” is not one of: %(choices)s")
                        % {
                            "value": status_text[:20],
                            "choices": "、".join(str(c[1]) for c in Household.Status.choices),
                        },
                    )
                else:
                    row.data["status"] = status
            occupant = cell_str(row.cells.get("occupant"))
            if len(occupant) > 50:
                row.error(columns["occupant"], _("At most %(n)d characters.") % {"n": 50})
            elif occupant:
                row.data["occupant"] = occupant
            moved_in = self.date(row, columns["moved_in_on"], row.cells.get("moved_in_on"))
            if moved_in:
                row.data["moved_in_on"] = moved_in
            notes = cell_str(row.cells.get("notes"))
            if len(notes) > 1000:
                row.error(columns["notes"], _("At most %(n)d characters.") % {"n": 1000})
            elif notes:
                row.data["notes"] = notes
            if row.key is not None:
                if row.key in seen:
                    row.error(columns["label"], _("This room is already on row %(row)d.") % {"row": seen[row.key]})
                seen[row.key] = row.number
        return rows

    def check_residents(self) -> list[ResidentRow]:
        rows = [ResidentRow(RESIDENTS_SHEET, n, cells) for n, cells in self.sheets.get(RESIDENTS_SHEET, [])]
        columns = RESIDENT_COLUMNS
        for row in rows:
            name = cell_str(row.cells.get("name"))
            row.label = mask_name(name)[:50]
            grid = self.grid(row, columns)
            row.key = self.room(row, columns, grid)
            self._resident_cells(row, name)
        self._match_residents(rows)
        self._resolve_guardians(rows)
        return rows

    def _resident_cells(self, row: ResidentRow, name: str) -> None:
        columns = RESIDENT_COLUMNS
        if not name:
            row.error(columns["name"], _("Empty."))
        elif "*" in name:
            row.error(columns["name"], _("A masked name cannot be imported: export with full details to re-import."))
        elif len(name) > 50:
            row.error(columns["name"], _("At most %(n)d characters.") % {"n": 50})
        row.data["name"] = name
        id_number = cell_str(row.cells.get("id_number")).replace(" ", "").upper()
        if "*" in id_number:  # masked in an export: not given, the stored one stays
            id_number = ""
        if id_number:
            try:
                id_number_validator(id_number)
            except ValidationError as exc:
                row.error(columns["id_number"], " ".join(exc.messages))
                id_number = ""
            else:
                row.data["id_number"] = id_number
        year_text = cell_str(row.cells.get("birth_year")).removesuffix("年")
        year = ascii_int(year_text)
        id_year = int(id_number[6:10]) if id_number else None
        if year_text and year is None:
            row.error(columns["birth_year"], _("“%(value)s” is not a year.") % {"value": year_text[:10]})
        elif year is None and id_year is None and not row.problems_in(columns["id_number"]):
            row.error(columns["birth_year"], _("Empty: give the year of birth or the ID card number."))
        elif year is not None and id_year is not None and year != id_year:
            row.error(columns["birth_year"], _("Does not match the year of birth in the ID card number."))
        year = year if year is not None else id_year
        if year is not None and not (self.this_year - 120 <= year <= self.this_year):
            row.error(
                columns["birth_year"],
                _("The year of birth must be between %(low)d and %(high)d.")
                % {"low": self.this_year - 120, "high": self.this_year},
            )
        elif year is not None:
            row.data["birth_year"] = year
        relation_text = cell_str(row.cells.get("relation"))
        relation = self.relation_names.get(relation_text.lower()) if relation_text else Relation.HEAD
        if relation is None:
            row.error(
                columns["relation"],
                _("“%(value)s” is not one of: %(choices)s")
                % {"value": relation_text[:20], "choices": "、".join(str(c[1]) for c in Relation.choices)},
            )
        else:
            row.data["relation"] = relation
        phone = re.sub(r"[\s-]", "", cell_str(row.cells.get("phone")))
        if phone and "*" not in phone:
            try:
                mobile_validator(phone)
            except ValidationError as exc:
                row.error(columns["phone"], " ".join(exc.messages))
            else:
                row.data["phone"] = phone
        tags_text = cell_str(row.cells.get("care_tags"))
        if tags_text:
            tags, unknown = [], []
            for part in _SPLIT.split(tags_text):
                if part:
                    tag = self.tags.get(part) or self.tags.get(part.lower())
                    (tags if tag else unknown).append(tag or part)
            if unknown:
                row.error(
                    columns["care_tags"],
                    _("Not a care tag in use: %(names)s") % {"names": "、".join(u[:20] for u in unknown)},
                )
            row.tags = list(dict.fromkeys(tags))
        row.guardian_name = cell_str(row.cells.get("guardian"))
        moved_in = self.date(row, columns["moved_in_on"], row.cells.get("moved_in_on"))
        if moved_in:
            row.data["moved_in_on"] = moved_in

    def _match_residents(self, rows: list[ResidentRow]) -> None:
        """Find each row's saved resident: by ID number's keyed hash, else by household, name and year."""
        columns = RESIDENT_COLUMNS
        hashes = {id_number_hash(r.data["id_number"]): r for r in rows if r.data.get("id_number")}
        by_hash = {
            r.id_number_hash: r
            for r in Resident.objects.filter(id_number_hash__in=list(hashes)).select_related("grid", "household")
        }
        household_ids = [self.households[r.key].pk for r in rows if r.key in self.households]
        by_identity: dict[tuple, list[Resident]] = defaultdict(list)
        for resident in Resident.objects.current().filter(household_id__in=household_ids):
            by_identity[(resident.household_id, resident.name, resident.birth_year)].append(resident)
        seen_ids: dict[str, int] = {}
        seen_people: dict[tuple, int] = {}
        for row in rows:
            if not row.ok or row.key is None:
                continue
            digest = id_number_hash(row.data["id_number"]) if row.data.get("id_number") else ""
            if digest:
                if digest in seen_ids:
                    row.error(
                        columns["id_number"],
                        _("The same ID card number is already on row %(row)d.") % {"row": seen_ids[digest]},
                    )
                    continue
                seen_ids[digest] = row.number
            person = (row.key, row.data["name"], row.data["birth_year"])
            if person in seen_people:
                row.error(
                    columns["name"],
                    _("The same person (name and year of birth) is already on row %(row)d.")
                    % {"row": seen_people[person]},
                )
                continue
            seen_people[person] = row.number
            household = self.households.get(row.key)
            existing = by_hash.get(digest) if digest else None
            if existing is not None:
                if not can_change_area(self.by, existing.grid):
                    row.error(columns["id_number"], _("A resident with this ID card number is already registered."))
                elif existing.moved_out_on is not None:
                    row.error(
                        columns["id_number"],
                        _("This person's record is archived (moved out): register them again on the page."),
                    )
                elif household is None or existing.household_id != household.pk:
                    row.error(
                        columns["label"],
                        _("This person is registered at %(label)s: move them on their page.")
                        % {"label": existing.household.label if existing.household_id else existing.grid.name},
                    )
                else:
                    row.existing = existing
                continue
            if household is not None:
                candidates = [
                    r
                    for r in by_identity.get((household.pk, row.data["name"], row.data["birth_year"]), [])
                    if not digest or not r.id_number_hash
                ]
                if len(candidates) > 1:
                    row.error(
                        columns["name"],
                        _("Several residents of this room have this name and year of birth: add the ID card number."),
                    )
                elif candidates:
                    row.existing = candidates[0]

    def _resolve_guardians(self, rows: list[ResidentRow]) -> None:
        """A child under 14 is recorded only with a guardian: an adult of the same room (PIPL art. 31)."""
        column = RESIDENT_COLUMNS["guardian"]
        in_file: dict[tuple, list[ResidentRow]] = defaultdict(list)
        for row in rows:
            if row.key is not None and row.data.get("name"):
                in_file[(row.key, row.data["name"])].append(row)
        household_ids = [self.households[r.key].pk for r in rows if r.key in self.households and r.guardian_name]
        saved: dict[tuple, list[Resident]] = defaultdict(list)
        for resident in Resident.objects.current().filter(household_id__in=household_ids):
            saved[(resident.household_id, resident.name)].append(resident)
        for row in rows:
            if not row.ok or row.key is None or "birth_year" not in row.data:
                continue
            needs = self.this_year - row.data["birth_year"] < GUARDIAN_AGE
            if not row.guardian_name:
                if needs:
                    row.error(column, _("A child under 14 is recorded only with a guardian."))
                continue
            household = self.households.get(row.key)
            file_rows = [r for r in in_file.get((row.key, row.guardian_name), []) if r is not row]
            saved_rows = saved.get((household.pk, row.guardian_name), []) if household else []
            candidates: list[ResidentRow | Resident] = [*file_rows, *[s for s in saved_rows if s != row.existing]]
            # A saved resident who is also on the sheet is one person, not two.
            file_existing = {r.existing.pk for r in file_rows if r.existing is not None}
            candidates = [c for c in candidates if not (isinstance(c, Resident) and c.pk in file_existing)]
            if len(candidates) != 1:
                row.error(
                    column,
                    _("“%(name)s” is not a resident of this room.") % {"name": mask_name(row.guardian_name)}
                    if not candidates
                    else _("Several residents of this room are called “%(name)s”.")
                    % {"name": mask_name(row.guardian_name)},
                )
                continue
            guardian = candidates[0]
            year = guardian.data.get("birth_year") if isinstance(guardian, ResidentRow) else guardian.birth_year
            if year is None or self.this_year - year < ADULT_AGE:
                row.error(column, _("The guardian must be an adult resident who lives here."))
            elif isinstance(guardian, ResidentRow) and not guardian.ok:
                row.error(column, _("The guardian's row (row %(row)d) has errors.") % {"row": guardian.number})
            elif isinstance(guardian, ResidentRow):
                row.guardian_row = guardian
            else:
                row.guardian = guardian


# --- Writing -------------------------------------------------------------------------------------


BUILDING_FIELDS = tuple(k for k in BUILDING_COLUMNS if k != "grid")
RESIDENT_FIELDS = ("name", "birth_year", "relation", "phone", "id_number", "moved_in_on")


def _write(*, by: User, buildings: list[BuildingRow], households: list[HouseholdRow], residents: list[ResidentRow]):
    saved: dict[tuple[int, str], Building] = {}
    for row in buildings:
        if not row.ok:
            row.status = "skipped"
            continue
        building = row.existing
        changed = building is None or any(getattr(building, k) != v for k, v in row.data.items())
        if changed:
            building, _result = building_save(by=by, grid=row.grid, data=row.data, building=building)
        row.status = "created" if row.existing is None else ("updated" if changed else "unchanged")
        saved[(row.grid.pk, building.number)] = building
    keys = {r.key for r in (*households, *residents) if r.ok and r.key is not None}
    numbers = {(k[0], k[1]) for k in keys}
    for grid_id, number in numbers - saved.keys():
        saved[(grid_id, number)] = Building.objects.get(grid_id=grid_id, number=number)
    by_key: dict[tuple, Household] = {}
    for h in Household.objects.filter(building__in=list(saved.values())).select_related("building"):
        by_key[(h.building.grid_id, h.building.number, h.unit, h.floor, h.room)] = h

    changed_households: dict[int, Household] = {}
    stated = set()  # households whose status the sheet gives: a new resident does not change it
    for row in households:
        if not row.ok:
            row.status = "skipped"
            continue
        household = by_key[row.key]
        if "status" in row.data:
            stated.add(household.pk)
        diff = [k for k, v in row.data.items() if getattr(household, k) != v]
        for k in diff:
            setattr(household, k, row.data[k])
        if diff:
            changed_households[household.pk] = household
        row.status = "updated" if diff else "unchanged"

    _write_residents(by=by, rows=residents, by_key=by_key, changed_households=changed_households, stated=stated)
    Household.objects.bulk_update(
        list(changed_households.values()), ["status", "occupant", "moved_in_on", "notes"], batch_size=500
    )
    announce_grids_changed(r.key[0] for r in (*households, *residents) if r.ok and r.key is not None)


def _write_residents(
    *,
    by: User,
    rows: list[ResidentRow],
    by_key: dict[tuple, Household],
    changed_households: dict[int, Household],
    stated: set[int],
) -> None:
    today = timezone.localdate()
    new: list[Resident] = []
    changed: list[Resident] = []
    tags_changed: list[tuple[Resident, list[CareTag]]] = []
    for row in rows:
        if not row.ok:
            row.status = "skipped"
            continue
        household = by_key[row.key]
        resident = row.existing
        if resident is None:
            resident = Resident(grid=household.building.grid, household=household, created_by=by)
            for k, v in row.data.items():
                setattr(resident, k, v)
            new.append(resident)
            row.status = "created"
        else:
            diff = [k for k in RESIDENT_FIELDS if k in row.data and getattr(resident, k) != row.data[k]]
            for k in diff:
                setattr(resident, k, row.data[k])
            if diff:
                changed.append(resident)
            row.status = "updated" if diff else "unchanged"
        resident.id_number_hash = id_number_hash(resident.id_number)
        resident.phone_hash = blind_index(resident.phone, purpose=PHONE_INDEX_PURPOSE) if resident.phone else ""
        row.existing = resident
        # A home that gets its first resident is lived in (the same rule as the resident form's service).
        if household.status == Household.Status.VACANT and household.pk not in stated:
            household.status = (
                Household.Status.RENTED if resident.relation == Relation.TENANT else Household.Status.OWNER
            )
            changed_households[household.pk] = household
    Resident.objects.bulk_create(new, batch_size=500)
    # Guardians next: a child's guardian may be a row of this file, saved just above.
    with_guardian = []
    for row in rows:
        if not row.ok:
            continue
        guardian = row.guardian_row.existing if row.guardian_row is not None else row.guardian
        if guardian is not None and row.existing.guardian_id != guardian.pk:
            row.existing.guardian = guardian
            with_guardian.append(row.existing)
            if row.status == "unchanged":
                row.status = "updated"
    fields = [*RESIDENT_FIELDS, "id_number_hash", "phone_hash", "updated_at"]
    for resident in changed:
        resident.updated_at = timezone.now()
    Resident.objects.bulk_update(changed, fields, batch_size=500)
    Resident.objects.bulk_update(with_guardian, ["guardian"], batch_size=500)
    # Care tags: an empty cell keeps a resident's tags (spreadsheets often leave cells blank).
    through = Resident.care_tags.through
    current: dict[int, set[int]] = defaultdict(set)
    ids = [row.existing.pk for row in rows if row.ok and row.tags is not None]
    for resident_id, tag_id in through.objects.filter(resident_id__in=ids).values_list("resident_id", "caretag_id"):
        current[resident_id].add(tag_id)
    links, unlink = [], []
    for row in rows:
        if not row.ok or row.tags is None:
            continue
        resident = row.existing
        wanted = {t.pk for t in row.tags}
        have = current.get(resident.pk, set())
        if wanted == have:
            continue
        links += [through(resident_id=resident.pk, caretag_id=t) for t in wanted - have]
        unlink += [(resident.pk, t) for t in have - wanted]
        tags_changed.append((resident, row.tags))
        if row.status == "unchanged":
            row.status = "updated"
    through.objects.bulk_create(links, batch_size=1000)
    for resident_id, tag_id in unlink:
        through.objects.filter(resident_id=resident_id, caretag_id=tag_id).delete()
    # The visit plan follows the tags (the same rule as resident_refresh_visit_plan, in bulk).
    planned = []
    for resident, tags in tags_changed:
        interval, due = visit_plan_for(tags, last_visited_on=resident.last_visited_on, today=today)
        if (resident.visit_interval_days, resident.next_visit_due) != (interval, due):
            resident.visit_interval_days, resident.next_visit_due = interval, due
            planned.append(resident)
    Resident.objects.bulk_update(planned, ["visit_interval_days", "next_visit_due"], batch_size=500)


# --- The job -------------------------------------------------------------------------------------


def _set(job_id: int, attempt: int, **fields) -> None:
    ImportJob.objects.filter(pk=job_id, attempt=attempt).update(**fields)


def import_job_create(*, by: User, upload, mode: str, language: str) -> ImportJob:
    """Keep the upload (encrypted) as a job and run it: now when it is small, else as a task.

    The caller has checked the file's size and type (ImportForm); the job checks them again.
    """
    import_jobs_fail_stalled()
    data = upload.read()
    job = ImportJob(
        mode=mode if mode in ImportJob.Mode.values else ImportJob.Mode.ALL,
        source_name=os.path.basename(upload.name or "")[:255],
        source_size=len(data),
        language=language[:10],
        created_by=by,
    )
    # Our own name, never the client's; the content encrypted, as the ID numbers in it are at rest.
    job.stored_file = default_storage.save(
        f"{STORAGE_PREFIX}/{secrets.token_hex(16)}.bin", ContentFile(encrypt_bytes(data))
    )
    job.attempt = 1
    job.save()
    audit_record(
        actor=by, action="governance.import.upload", obj=job, detail={"size": job.source_size, "mode": job.mode}
    )
    if job.source_size <= INLINE_MAX_BYTES:
        # A failure is logged and recorded on the job, whose page says so.
        with contextlib.suppress(Exception):
            import_job_run(job_id=job.pk, attempt=job.attempt)
        job.refresh_from_db()
        return job
    job_id, attempt = job.pk, job.attempt

    def enqueue() -> None:
        from governance.tasks import import_job_run_task

        try:
            import_job_run_task.enqueue(job_id, attempt)
        except Exception:  # the queue being down must not leave the job waiting forever
            logger.exception("could not enqueue import job %s", job_id)
            _fail(job_id, attempt, "enqueue failed")

    transaction.on_commit(enqueue)
    return job


def import_job_is_stalled(job: ImportJob) -> bool:
    if job.status not in ImportJob.RUNNING:
        return False
    last_sign = job.heartbeat_at or job.started_at
    return last_sign is None or timezone.now() - last_sign > STALL_AFTER


def import_jobs_fail_stalled(*, stalled_after: timedelta | None = None) -> int:
    """End the jobs whose worker died: failed, their encrypted upload removed (it holds ID numbers).
    Also run by every task worker (core/worker.py)."""
    cutoff = timezone.now() - (stalled_after or STALL_AFTER)
    stalled = list(
        ImportJob.objects.filter(status__in=ImportJob.RUNNING, heartbeat_at__lt=cutoff).values_list("pk", "attempt")
    )
    for job_id, attempt in stalled:
        _fail(job_id, attempt, "stalled: the worker stopped answering")
    return len(stalled)


def _claim(job_id: int, attempt: int) -> bool:
    now = timezone.now()
    return bool(
        ImportJob.objects.filter(pk=job_id, attempt=attempt, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.CHECKING, started_at=now, heartbeat_at=now, progress=0.0
        )
    )


def _remove_upload(job_id: int) -> None:
    name = ImportJob.objects.filter(pk=job_id).values_list("stored_file", flat=True).first()
    if name:
        default_storage.delete(name)
        ImportJob.objects.filter(pk=job_id).update(stored_file="")


def _fail(job_id: int, attempt: int, detail: str) -> None:
    _set(
        job_id,
        attempt,
        status=ImportJob.Status.FAILED,
        error_detail=detail[-4000:],
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    _remove_upload(job_id)


def import_job_run(*, job_id: int, attempt: int) -> str:
    """Check and (by mode) import one job's workbook. The background task's body; safe to call directly.

    Returns the final status; a job already claimed or superseded is left alone ("skipped").
    """
    if not _claim(job_id, attempt):
        return "skipped"
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        with translation.override(job.language or None):
            outcome = _run(job, attempt)
    except Exception as exc:
        logger.exception("import job %s failed unexpectedly", job_id)
        _fail(job_id, attempt, f"{type(exc).__name__}: {exc}")
        raise
    finally:
        _remove_upload(job_id)
    summary = outcome.summary()
    problems = [r for r in outcome.rows if r.problems]
    _set(
        job_id,
        attempt,
        status=ImportJob.Status.DONE,
        progress=1.0,
        written=outcome.written,
        summary=summary,
        file_errors=outcome.file_errors,
        report=[r.as_json() for r in problems[:REPORT_LIMIT]],
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    if job.source_size > INLINE_MAX_BYTES and job.created_by is not None:
        with translation.override(job.language or None):
            notification_send(
                recipient=job.created_by,
                kind="governance.import",
                title=(_("Your Excel import “%(name)s” is finished.") % {"name": job.source_name})[:200],
                url=reverse("governance:import_job", args=[job_id]),
            )
    return ImportJob.Status.DONE


def _run(job: ImportJob, attempt: int) -> Outcome:
    outcome = Outcome()
    by = job.created_by
    if by is None or not by.is_active:
        outcome.file_errors.append(_("The person who uploaded the file can no longer import."))
        return outcome
    with default_storage.open(job.stored_file, "rb") as handle:
        data = decrypt_bytes(handle.read())
    if len(data) > MAX_BYTES:
        outcome.file_errors.append(_("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
        return outcome
    try:
        workbook = xlsx_open(data, max_unpacked=MAX_UNPACKED)
    except SpreadsheetError as exc:
        outcome.file_errors.append(spreadsheet_error_message(exc))
        return outcome
    expected = max(1, min(_expected_rows(workbook), MAX_ROWS))

    def on_row(count: int) -> None:
        if count % PROGRESS_EVERY == 0:
            _set(job.pk, attempt, progress=round(min(0.6, 0.6 * count / expected), 4), heartbeat_at=timezone.now())

    try:
        sheets = _read_sheets(workbook, outcome, on_row)
    except _TooManyRowsError:
        outcome.file_errors.append(
            _("The file has more than %(n)d rows: split it into several files.") % {"n": MAX_ROWS}
        )
        return outcome
    finally:
        workbook.close()
    if outcome.file_errors:
        return outcome
    if not any(sheets.values()):
        outcome.file_errors.append(_("The file has no rows to import."))
        return outcome
    _set(job.pk, attempt, progress=0.6, heartbeat_at=timezone.now())
    checker = _Checker(by=by, sheets=sheets)
    buildings = checker.check_buildings()
    households = checker.check_households()
    _set(job.pk, attempt, progress=0.7, heartbeat_at=timezone.now())
    residents = checker.check_residents()
    outcome.rows = [*buildings, *households, *residents]
    has_errors = any(not r.ok for r in outcome.rows)
    if job.mode == ImportJob.Mode.CHECK or (job.mode == ImportJob.Mode.ALL and has_errors):
        for row in outcome.rows:
            if row.ok:
                row.status = "checked"
        return outcome
    _set(job.pk, attempt, status=ImportJob.Status.WRITING, progress=0.8, heartbeat_at=timezone.now())
    # One transaction for every write: nothing is half-imported if anything fails on the way.
    with transaction.atomic():
        _write(by=by, buildings=buildings, households=households, residents=residents)
        outcome.written = True
        audit_record(
            actor=by,
            action="governance.import",
            obj=job,
            # Counts only: what the rows held stays in the rows, not in the log.
            detail={"mode": job.mode, "summary": outcome.summary()["total"]},
        )
    return outcome


def spreadsheet_error_message(exc: SpreadsheetError) -> str:
    if exc.code == "too_large":
        return _("The workbook unpacks to more than %(mb)d MB.") % {"mb": MAX_UNPACKED // (1024 * 1024)}
    return _("This is not an Excel workbook (.xlsx). Save it as “Excel workbook (*.xlsx)” and upload it again.")
