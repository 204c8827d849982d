"""Workbooks: the import template, and the buildings, households and residents a person may see.

Both use the import's own sheets and columns, so an exported sheet, corrected, can go back in.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from core.models import Area
from core.spreadsheets import workbook_sheet, write_only_sheet
from core.validators import id_check_digit
from governance.forms import format_overrides
from governance.models import Building, CareTag, Household, Relation, Resident
from governance.services.imports import (
    BUILDING_COLUMNS,
    BUILDINGS_SHEET,
    EXAMPLE_MARK,
    HOUSEHOLD_COLUMNS,
    HOUSEHOLDS_SHEET,
    MAX_ROWS,
    RESIDENT_COLUMNS,
    RESIDENTS_SHEET,
)

OPTIONS_SHEET = "选项"
EXAMPLE_FILL = PatternFill("solid", fgColor="FFF2CC")


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _column(header: list[str], name: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(header.index(name) + 1)


def _list_validation(ws, header: list[str], name: str, source: str, prompt: str = "") -> None:
    letter = _column(header, name)
    validation = DataValidation(type="list", formula1=source, allow_blank=True)
    validation.error = _("Choose a value from the list.")
    validation.errorTitle = name
    if prompt:
        validation.prompt, validation.promptTitle = prompt, name
    ws.add_data_validation(validation)
    validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")


def _number_validation(ws, header: list[str], name: str, low: int, high: int) -> None:
    letter = _column(header, name)
    validation = DataValidation(type="whole", operator="between", formula1=str(low), formula2=str(high))
    validation.allow_blank = True
    validation.error = _("A whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
    validation.errorTitle = name
    ws.add_data_validation(validation)
    validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")


def _mark_example(ws) -> None:
    for cell in ws[2]:
        cell.fill = EXAMPLE_FILL


def import_template(grids: list[Area]) -> bytes:
    """The three sheets the import reads, an example row each (ignored by the import), drop-down lists
    for the grids the person keeps and for every fixed choice, and a sheet of instructions."""
    wb = Workbook()
    instructions = wb.active
    instructions.title = _("Instructions")
    lines = [
        _("Fill in the sheets 楼栋 (buildings), 房屋 (households) and 居民 (residents); each is optional."),
        _("The yellow row of each sheet is an example: rows whose first cell starts with “示例” are not imported."),
        _("网格编码: the code of a grid you keep (drop-down list). 房号: building-unit-room, e.g. 3-2-501."),
        _("Households are made from each building's model; the 房屋 sheet only sets their status and details."),
        _("A child under 14 needs a guardian: the name of an adult resident of the same room."),
        _("Importing the same file again adds nothing: it updates what changed."),
        _("At most %(n)d rows in all.") % {"n": MAX_ROWS},
    ]
    for line in lines:
        instructions.append([line])
    instructions.column_dimensions["A"].width = 110
    instructions["A1"].font = Font(bold=True)

    example_grid = f"{EXAMPLE_MARK}:{grids[0].code}" if grids else EXAMPLE_MARK
    first17 = "21068119480315002"
    header = list(BUILDING_COLUMNS.values())
    ws = workbook_sheet(
        wb,
        BUILDINGS_SHEET,
        header,
        [[example_grid, "阳光小区3号楼", "3", "阳光路18号3号楼", 2, 6, 2, 0, "4", "2:5:2", 39.871234, 124.151234]],
    )
    _mark_example(ws)
    options = wb.create_sheet(OPTIONS_SHEET)
    options.append([_("Grid code"), _("Grid"), _("Household status"), _("Relation"), _("Care tags")])
    statuses = [str(label) for _value, label in Household.Status.choices]
    relations = [str(label) for _value, label in Relation.choices]
    tags = list(CareTag.objects.filter(is_active=True).values_list("name", flat=True))
    for i in range(max(len(grids), len(statuses), len(relations), len(tags))):
        options.append(
            [
                grids[i].code if i < len(grids) else None,
                grids[i].name if i < len(grids) else None,
                statuses[i] if i < len(statuses) else None,
                relations[i] if i < len(relations) else None,
                tags[i] if i < len(tags) else None,
            ]
        )
    options.sheet_state = "hidden"
    grid_source = f"'{OPTIONS_SHEET}'!$A$2:$A${max(2, len(grids) + 1)}"
    _list_validation(ws, header, BUILDING_COLUMNS["grid"], grid_source)
    _number_validation(ws, header, BUILDING_COLUMNS["unit_count"], 1, 30)
    _number_validation(ws, header, BUILDING_COLUMNS["floor_count"], 1, 99)
    _number_validation(ws, header, BUILDING_COLUMNS["households_per_floor"], 1, 30)

    header = list(HOUSEHOLD_COLUMNS.values())
    ws = workbook_sheet(
        wb,
        HOUSEHOLDS_SHEET,
        header,
        [[example_grid, "3-1-101", statuses[1], "王秀兰", datetime.date(2015, 5, 1), ""]],
    )
    _mark_example(ws)
    _list_validation(ws, header, HOUSEHOLD_COLUMNS["grid"], grid_source)
    _list_validation(ws, header, HOUSEHOLD_COLUMNS["status"], f"'{OPTIONS_SHEET}'!$C$2:$C${len(statuses) + 1}")

    header = list(RESIDENT_COLUMNS.values())
    ws = workbook_sheet(
        wb,
        RESIDENTS_SHEET,
        header,
        [
            [
                example_grid,
                "3-1-101",
                "王秀兰",
                1948,
                relations[0],
                first17 + id_check_digit(first17),
                "13812345678",
                "、".join(tags[:1]),
                "",
                datetime.date(2015, 5, 1),
            ]
        ],
    )
    _mark_example(ws)
    _list_validation(ws, header, RESIDENT_COLUMNS["grid"], grid_source)
    _list_validation(ws, header, RESIDENT_COLUMNS["relation"], f"'{OPTIONS_SHEET}'!$D$2:$D${len(relations) + 1}")
    tag_prompt = _("One or more of: %(tags)s, separated by 、") % {"tags": "、".join(tags)}
    letter = _column(header, RESIDENT_COLUMNS["care_tags"])
    hint = DataValidation(allow_blank=True, showInputMessage=True, prompt=tag_prompt[:255])
    hint.promptTitle = RESIDENT_COLUMNS["care_tags"]
    ws.add_data_validation(hint)
    hint.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    # ID and phone numbers are text: a number cell would turn 18 digits into 2.10681E+17.
    for name in (RESIDENT_COLUMNS["id_number"], RESIDENT_COLUMNS["phone"]):
        letter = _column(header, name)
        for row in range(2, 502):
            ws[f"{letter}{row}"].number_format = "@"
    return _save(wb)


def _building_rows(buildings: QuerySet[Building]) -> Iterator[list]:
    for b in buildings.select_related("grid").order_by("grid__path", "address_key", "pk").iterator(chunk_size=1000):
        yield [
            b.grid.code,
            b.name,
            b.number,
            b.address,
            b.unit_count,
            b.floor_count,
            b.households_per_floor,
            b.shop_floors,
            ",".join(str(f) for f in b.skipped_floors),
            format_overrides(b.unit_overrides),
            float(b.latitude) if b.latitude is not None else None,
            float(b.longitude) if b.longitude is not None else None,
        ]


def _household_rows(households: QuerySet[Household]) -> Iterator[list]:
    rows = households.select_related("building__grid").order_by("building__grid__path", "building_id", "label", "pk")
    for h in rows.iterator(chunk_size=2000):
        yield [h.building.grid.code, h.label, h.get_status_display(), h.occupant, h.moved_in_on, h.notes]


def _resident_rows(residents: QuerySet[Resident], *, reveal: bool) -> Iterator[list]:
    """Masked as on screen (phone, ID number, a minor's name) unless the person gave a reason to reveal."""
    rows = (
        residents.select_related("grid", "household", "guardian")
        .prefetch_related("care_tags")
        .order_by("grid__path", "household__label", "pk")
    )
    for r in rows.iterator(chunk_size=1000):
        guardian = r.guardian
        yield [
            r.grid.code,
            r.household.label if r.household_id else "",
            r.name if reveal else r.display_name,
            r.birth_year,
            r.get_relation_display(),
            r.id_number if reveal else r.masked_id_number,
            r.phone if reveal else r.masked_phone,
            "、".join(t.name for t in r.care_tags.all()),
            (guardian.name if reveal else guardian.display_name) if guardian is not None else "",
            r.moved_in_on,
        ]


def scope_workbook(
    *,
    buildings: QuerySet[Building],
    households: QuerySet[Household],
    residents: QuerySet[Resident],
    reveal: bool,
) -> tuple[bytes, dict[str, int]]:
    """The three sheets, streamed (a whole city fits); returns the file and the rows per sheet."""
    wb = Workbook(write_only=True)
    counts = {
        "buildings": write_only_sheet(wb, BUILDINGS_SHEET, list(BUILDING_COLUMNS.values()), _building_rows(buildings)),
        "households": write_only_sheet(
            wb, HOUSEHOLDS_SHEET, list(HOUSEHOLD_COLUMNS.values()), _household_rows(households)
        ),
        "residents": write_only_sheet(
            wb, RESIDENTS_SHEET, list(RESIDENT_COLUMNS.values()), _resident_rows(residents, reveal=reveal)
        ),
    }
    return _save(wb), counts
