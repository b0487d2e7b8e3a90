"""The public mask, field by field: what `gis.access` lets each role see."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from gis.access import PUBLIC_VIEWS, Role, can_read, mask, public_fields, require, visible_layers
from gis.errors import AccessDenied, ValidationError
from layers import catalogue, results

ALL_LAYERS = {**dict(catalogue.items()), **dict(results.items())}
EVERY_FIELD = [(layer, f.name) for layer, spec in ALL_LAYERS.items() for f in spec.fields]


def full_frame(layer: str, n: int = 3) -> pd.DataFrame:
    """A frame with every catalogue field of ``layer`` (plus an unknown one) filled."""
    spec = ALL_LAYERS[layer]
    data = {}
    for f in spec.fields:
        data[f.name] = {"float": [1.5] * n, "int": [1] * n, "bool": [True] * n,
                        "date": [pd.Timestamp("2024-01-01")] * n}.get(f.dtype, ["x"] * n)
    data["secret_extra"] = ["not in the catalogue"] * n
    if "status" in data:
        data["status"] = ["reserve", "supplied", "reserve"][:n]
    if "usable" in data:
        data["usable"] = [True, False, pd.NA][:n]
    frame = pd.DataFrame(data)
    if spec.has_geometry:
        frame = gpd.GeoDataFrame(frame, geometry=[box(i, 0, i + 1, 1) for i in range(n)],
                                 crs=4528)
    return frame


@pytest.mark.parametrize(("layer", "field"), EVERY_FIELD)
def test_public_sees_a_field_only_when_allow_listed_and_never_when_confidential(layer, field):
    spec = ALL_LAYERS[layer]
    allowed = field in public_fields(layer)
    if spec.field(field).confidential:
        assert not allowed
    if not can_read(layer, Role.public):
        with pytest.raises(AccessDenied) as err:
            mask(layer, full_frame(layer), Role.public)
        assert "planner" in err.value.en and "权限" in err.value.zh
        return
    shown = mask(layer, full_frame(layer), Role.public)
    assert (field in shown.columns) == allowed


@pytest.mark.parametrize("layer", sorted(ALL_LAYERS))
def test_planners_and_admins_see_everything(layer):
    frame = full_frame(layer)
    for role in (Role.planner, Role.admin):
        assert mask(layer, frame, role).equals(frame)


def test_public_layers_are_the_promotion_data_only():
    assert visible_layers(list(ALL_LAYERS), Role.public) == [
        n for n in ALL_LAYERS if n in ("zones", "parcels", "infrastructure", "unsupplied_pieces")]
    for closed in ("enterprises", "supplies", "idle", "low_efficiency", "permu", "permu_parcels",
                   "tenancies", "approvals", "unsupplied_batches"):
        assert not can_read(closed, Role.public)


def test_public_parcels_are_reserve_rows_without_owner_and_unknown_columns():
    shown = mask("parcels", full_frame("parcels"), Role.public)
    assert shown["status"].tolist() == ["reserve", "reserve"]
    assert {"owner_name", "owner_credit_code", "secret_extra"}.isdisjoint(shown.columns)
    assert shown.geometry.name == "geometry" and len(shown.geometry) == 2


def test_public_unsupplied_pieces_are_usable_ones_only():
    shown = mask("unsupplied_pieces", full_frame("unsupplied_pieces"), Role.public)
    assert shown["usable"].tolist() == [True]
    assert "approval_id" not in shown.columns


def test_public_infrastructure_has_no_capacities():
    shown = mask("infrastructure", full_frame("infrastructure"), Role.public)
    assert len(shown) == 3
    assert {"spare_kva", "capacity"}.isdisjoint(shown.columns)


def test_a_frame_missing_the_row_field_shows_no_rows():
    frame = full_frame("parcels").drop(columns="status")
    assert len(mask("parcels", frame, Role.public)) == 0


def test_views_only_name_catalogue_fields():
    for layer, view in PUBLIC_VIEWS.items():
        assert set(view.fields) <= set(ALL_LAYERS[layer].field_names)


def test_require_and_role_parsing():
    require(Role.admin, Role.planner, "导入", "imports")
    with pytest.raises(AccessDenied):
        require(Role.planner, Role.admin, "导入", "imports")
    assert Role.parse(" Admin ") is Role.admin
    with pytest.raises(ValidationError):
        Role.parse("root")
