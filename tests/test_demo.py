"""The demo county: schema, codes, geometry, determinism, and the situations the analyses of
issues 3–5 must find — each defined here from the rules (DOMAIN.md §0–§2), not from the
generator's internals."""

from __future__ import annotations

import re
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from gis.codes import (
    credit_code_check_char,
    credit_code_problem,
    normalize_industry_code,
    org_code_check_char,
)
from gis.schema import PANDAS_DTYPES
from gis.units import M2_PER_MU
from gis.validate import validate
from gis.workspace import open_workspace
from layers import catalogue, industry_divisions, land_use_codes
from layers.demo import DEMO_AS_OF, DEMO_CRS, LAYERS, build_demo, write_demo
from layers.demo.parties import credit_codes
from layers.demo.scale import EASTING_RANGE, NORTHING_RANGE, copy_offsets

AS_OF = pd.Timestamp(DEMO_AS_OF)
ONE_YEAR = pd.DateOffset(years=1)
TWO_YEARS = pd.DateOffset(years=2)
CREDIT_COLUMNS = {"parcels": ["owner_credit_code"], "supplies": ["user_credit_code"],
                  "enterprises": ["credit_code"], "tenancies": ["credit_code"]}


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return build_demo()


@pytest.fixture(scope="module")
def demo3() -> dict[str, pd.DataFrame]:
    return build_demo(scale=3)


def _mu(geoms) -> np.ndarray:
    return shapely.area(np.asarray(geoms, dtype=object)) / M2_PER_MU


# --------------------------------------------------------------------------------------------
# the contract: layers, fields, dtypes, keys, codes
# --------------------------------------------------------------------------------------------
def test_constants():
    assert date(2026, 9, 30) == DEMO_AS_OF
    assert DEMO_CRS == "EPSG:4528"
    assert tuple(catalogue) == LAYERS


def test_one_frame_per_layer_with_exactly_the_catalogue_fields(demo):
    assert set(demo) == set(catalogue)
    for name, df in demo.items():
        layer = catalogue[name]
        fields = [c for c in df.columns if c != "geometry"]
        assert fields == list(layer.field_names), name
        assert isinstance(df, gpd.GeoDataFrame) == layer.has_geometry, name
        if layer.has_geometry:
            assert df.crs.to_epsg() == 4528, name


def test_dtypes_are_the_canonical_ones(demo):
    for name, df in demo.items():
        for f in catalogue[name].fields:
            assert df[f.name].dtype == pd.api.types.pandas_dtype(PANDAS_DTYPES[f.dtype]), \
                (name, f.name, df[f.name].dtype)


def test_keys_unique_and_required_fields_filled(demo):
    for name, df in demo.items():
        layer = catalogue[name]
        assert not df.duplicated(list(layer.key)).any(), name
        for f in layer.required:
            assert df[f].notna().all(), (name, f)
        for group in layer.one_of:
            assert df[list(group)].notna().any(axis=1).all(), (name, group)


def test_every_layer_passes_validation_untouched(demo):
    """The project's own validator neither rejects nor repairs a single row."""
    for name, df in demo.items():
        clean, report = validate(df, name)
        assert report.issues == [], (name, report.issues[:3])
        assert len(clean) == len(df)


def test_every_credit_code_is_valid(demo):
    codes = pd.concat([demo[name][col] for name, cols in CREDIT_COLUMNS.items() for col in cols])
    codes = codes.dropna().unique()
    assert len(codes) > 700
    assert [c for c in codes if credit_code_problem(c) is not None] == []
    assert any(c[8:10] == "MA" for c in codes) and any(c[8:10].isdigit() for c in codes)


def test_vectorized_credit_codes_agree_with_the_scalar_checks():
    n = 5000
    counter = np.arange(n) * 977 + 3
    codes = credit_codes(counter, np.array(["91"] * n), np.array(["330599"] * n),
                         counter % 2 == 0)
    assert len(set(codes)) == n
    for code in codes[:: n // 50]:
        assert code[17] == credit_code_check_char(code[:17])
        assert code[16] == org_code_check_char(code[8:16])


def test_land_use_and_industry_codes(demo):
    for name, col in (("parcels", "land_use"), ("supplies", "land_use"),
                      ("zoning", "planned_use"), ("projects", "land_use")):
        assert set(demo[name][col]) <= set(land_use_codes), (name, col)
    for name in ("enterprises", "projects"):
        codes = demo[name]["industry_code"]
        assert codes.str.fullmatch(r"\d{4}").all()
        assert codes.map(normalize_industry_code).notna().all()
        assert set(codes.str[:2]) <= set(industry_divisions)
        # manufacturing (section C, 13–43) and logistics (54, 58, 59, 60)
        div = codes.str[:2].astype(int)
        assert (div.between(13, 43) | div.isin([54, 58, 59, 60])).all(), name


# --------------------------------------------------------------------------------------------
# geometry and place
# --------------------------------------------------------------------------------------------
def test_geometries_valid_and_of_the_catalogue_type(demo):
    expected = {"polygon": {"MultiPolygon"}, "point": {"Point"},
                "point_or_line": {"Point", "LineString"}, "any": {"MultiPolygon"}}
    for name, df in demo.items():
        if not isinstance(df, gpd.GeoDataFrame):
            continue
        geoms = df.geometry
        present = geoms.notna()
        if catalogue[name].geometry_required:
            assert present.all(), name
        g = geoms[present]
        assert g.is_valid.all() and not g.is_empty.any(), name
        assert set(g.geom_type) <= expected[catalogue[name].geometry], (name, set(g.geom_type))
    assert demo["enterprises"].geometry.isna().sum() > 0  # a few firms with no location


def test_county_lies_in_zone_40_around_119_5_e_30_6_n(demo):
    to_lonlat = Transformer.from_crs(4528, 4490, always_xy=True)
    for name, df in demo.items():
        if not isinstance(df, gpd.GeoDataFrame):
            continue
        x0, y0, x1, y1 = df.total_bounds
        assert EASTING_RANGE[0] <= x0 and x1 <= EASTING_RANGE[1], name
        lon0, lat0 = to_lonlat.transform(x0, y0)
        lon1, lat1 = to_lonlat.transform(x1, y1)
        assert lon0 >= 119.2 and lon1 <= 119.8 and lat0 >= 30.4 and lat1 <= 30.9, name


# --------------------------------------------------------------------------------------------
# content: one zone, three parks, parcels, buildings
# --------------------------------------------------------------------------------------------
def test_counts(demo):
    assert 2_200 <= len(demo["parcels"]) <= 2_800
    assert 30 <= len(demo["approvals"]) <= 60
    assert 600 <= len(demo["supplies"]) <= 1_000
    assert 1_200 <= len(demo["buildings"]) <= 3_500
    ent = demo["enterprises"]
    assert 600 <= ent["credit_code"].nunique() <= 800
    assert set(ent["year"]) == {2024, 2025}
    assert 80 <= len(demo["tenancies"]) <= 150
    assert len(demo["projects"]) == 10
    assert len(demo["zones"]) == 4


def test_one_zone_of_three_parks(demo):
    zones = demo["zones"].set_index("zone_id")
    assert zones.loc["KFQ", "level"] == "provincial"
    parks = zones[zones["parent_id"] == "KFQ"]
    assert len(parks) == 3 and parks["name"].str.contains("东园|西园|南园").all()
    assert zones.loc["KFQ"].geometry.buffer(1).contains(parks.geometry.union_all())
    parcels = demo["parcels"]
    assert set(parcels["zone_id"].dropna()) <= set(parks.index)
    buildable = parcels[parcels["land_use"].str[:2].isin(["09", "10", "11"])]
    lu = buildable.groupby("zone_id")["land_use"].agg(lambda s: s.value_counts().index[0])
    assert lu["KFQ-DY"] == "100102"  # equipment
    assert lu["KFQ-NY"].startswith("1101")  # logistics
    xy = parcels[parcels["zone_id"] == "KFQ-XY"]["land_use"]
    assert (xy == "100103").sum() > 20  # chemicals
    ny = parcels[parcels["zone_id"] == "KFQ-NY"]["land_use"]
    assert ny.str.startswith(("0901", "0902")).sum() >= 3


def test_parcels_tile_the_parks_and_have_plausible_sizes(demo):
    p = demo["parcels"]
    inside = p[p["zone_id"].notna()]
    # no two parcels overlap
    tree = shapely.STRtree(p.geometry.values)
    pairs = tree.query(p.geometry.values, predicate="overlaps")
    assert pairs.shape[1] == 0
    # roads, green, utilities, research, housing, collective land are all there
    uses = set(p["land_use"])
    assert {"1207", "1402", "1303", "0802", "070102", "0101", "0703"} <= uses
    assert set(p["status"]) == {"supplied", "reserve", "collective", "other"}
    industrial = inside[inside["land_use"].str[:4].isin(["1001", "1101"])]
    mu = _mu(industrial.geometry.values)
    assert mu.min() >= 5 and np.median(mu) == pytest.approx(30, abs=10)
    assert ((mu >= 20) & (mu <= 60)).mean() > 0.6  # mostly 20–60 亩
    assert (mu > 150).sum() >= 2  # a few very large ones
    supplied = p[p["status"] == "supplied"]
    assert supplied["owner_credit_code"].notna().all() and supplied["owner_name"].notna().all()
    reserve = p[p["status"] == "reserve"]
    for flag in ("ready", "regional_assessment"):
        assert 0 < reserve[flag].sum() < len(reserve)


def test_parcel_ids_are_cadastral_codes(demo):
    assert demo["parcels"]["parcel_id"].str.fullmatch(r"330599\d{6}(GB|GY|JA|JC)\d{5}").all()


def _floor_area(buildings: gpd.GeoDataFrame) -> np.ndarray:
    """Footprint × floors, a storey over 8 m counted twice (DOMAIN.md §5.2)."""
    double = np.where(buildings["storey_height_m"].to_numpy() > 8, 2, 1)
    return buildings.geometry.area.to_numpy() * buildings["floors"].to_numpy() * double


def test_buildings_stand_inside_parcels_whose_construction_started(demo):
    p, b, s = demo["parcels"], demo["buildings"], demo["supplies"]
    tree = shapely.STRtree(p.geometry.values)
    bi, pi = tree.query(b.geometry.values, predicate="within")
    assert np.array_equal(np.sort(bi), np.arange(len(b)))  # each building in exactly one parcel
    host = p.iloc[pi]
    assert (host["status"] == "supplied").all()
    started = set(s.loc[s["actual_start"] <= AS_OF, "parcel_id"])
    assert set(host["parcel_id"]) <= started
    # deliberately empty: supplied industrial parcels with nothing built (idle)
    built = set(host["parcel_id"])
    empty = p[(p["status"] == "supplied") & p["land_use"].str.startswith("1001")
              & ~p["parcel_id"].isin(built)]
    assert len(empty) >= 15
    assert set(b["state"]) == {"built", "under_construction", "dilapidated"}
    single_high = b[(b["floors"] == 1) & (b["storey_height_m"] > 8)]
    assert len(single_high) > 50 and (single_high["height_m"] > 8).all()


def test_plot_ratios_range_from_thin_to_dense(demo):
    p, b = demo["parcels"], demo["buildings"]
    tree = shapely.STRtree(p.geometry.values)
    bi, pi = tree.query(b.geometry.values, predicate="within")
    floor = pd.Series(_floor_area(b)[bi]).groupby(pi).sum()
    footprint = pd.Series(b.geometry.area.to_numpy()[bi]).groupby(pi).sum()
    area = p.geometry.area.to_numpy()[floor.index]
    ratio, coverage = floor / area, footprint / area
    industrial = p["land_use"].str[:4].isin(["1001", "1101"]).to_numpy()[floor.index]
    thin = (ratio < 0.5) & (coverage < 0.3) & industrial
    dense = (ratio > 1.5) & industrial
    assert thin.sum() >= 30 and dense.sum() >= 30
    assert ratio[industrial].median() == pytest.approx(0.9, abs=0.35)


# --------------------------------------------------------------------------------------------
# idle land 闲置 (issue 3), counted from the contracts by the rules of DOMAIN.md §1
# --------------------------------------------------------------------------------------------
def _idle_kinds(s: pd.DataFrame) -> dict[str, pd.Series]:
    not_started = s["actual_start"].isna() | (s["actual_start"] > AS_OF)
    completed = s["actual_completion"].notna() & (s["actual_completion"] <= AS_OF)
    first = s["agreed_start"] + ONE_YEAR
    a = not_started & ~completed & (first <= AS_OF)
    cause = s["delay_cause"]
    enterprise = a & (cause.isna() | (cause == "enterprise"))
    halted_year = s["halted_on"] + ONE_YEAR
    behind = (s["developed_area_m2"] < s["declared_area_m2"] / 3) | \
        (s["invested_wan"] < 0.25 * s["total_investment_wan"])
    stalled = ~not_started & ~completed & s["halted_on"].notna()
    soon = AS_OF + pd.Timedelta(days=90)
    return {
        "A": a,
        "A_enterprise_1y": enterprise & (s["agreed_start"] + TWO_YEARS > AS_OF),
        "A_enterprise_2y": enterprise & (s["agreed_start"] + TWO_YEARS <= AS_OF),
        "A_government": a & (cause == "government"),
        "A_cause_unknown": a & cause.isna(),
        "A_on_anniversary": a & (first == AS_OF),
        "B": stalled & (halted_year <= AS_OF) & behind.fillna(False),
        "B_halted_but_developed": stalled & (halted_year <= AS_OF) & ~behind.fillna(True),
        "watch_A": not_started & ~completed & (first > AS_OF) & (first <= soon),
        "watch_A_tomorrow": not_started & (first == AS_OF + pd.Timedelta(days=1)),
        "watch_B": stalled & behind.fillna(False) & (halted_year > AS_OF) & (halted_year <= soon),
        "completed": completed,
        "in_progress": ~not_started & ~completed & s["halted_on"].isna(),
    }


def test_idle_situations_exist_relative_to_as_of(demo):
    s = demo["supplies"]
    kinds = {k: int(v.sum()) for k, v in _idle_kinds(s).items()}
    assert kinds["A_enterprise_1y"] >= 3
    assert kinds["A_enterprise_2y"] >= 3
    assert kinds["A_government"] >= 2
    assert kinds["A_cause_unknown"] >= 1
    assert kinds["A_on_anniversary"] == 1
    assert kinds["B"] >= 3
    assert kinds["B_halted_but_developed"] >= 1
    assert kinds["watch_A"] >= 3 and kinds["watch_A_tomorrow"] == 1
    assert kinds["watch_B"] >= 1
    assert kinds["in_progress"] >= 10
    assert kinds["completed"] > 0.7 * len(s)
    # idle is the exception, not the rule
    assert kinds["A"] + kinds["B"] < 0.05 * len(s)


def test_idle_parcels_have_no_finished_buildings(demo):
    s, b, p = demo["supplies"], demo["buildings"], demo["parcels"]
    kinds = _idle_kinds(s)
    idle_a = set(s.loc[kinds["A"], "parcel_id"])
    tree = shapely.STRtree(b.geometry.values)
    geoms = p.set_index("parcel_id").loc[sorted(idle_a)].geometry.values
    hit = tree.query(geoms, predicate="contains")
    assert hit.shape[1] == 0


def test_supply_contracts_are_plausible(demo):
    s = demo["supplies"]
    assert (s["supplied_on"] < s["agreed_start"]).all()
    lag = (s["agreed_start"] - s["supplied_on"]).dt.days
    assert lag.between(85, 370).all()  # 3–12 months
    span = (s["agreed_completion"] - s["agreed_start"]).dt.days
    assert span.between(720, 1100).all()  # 2–3 years
    assert (s["supplied_on"] <= AS_OF).all()
    assert s["method"].value_counts().index[0] == "transfer"
    assert {"allocation", "lease", "capital"} <= set(s["method"])
    industrial = s[(s["method"] == "transfer") & s["land_use"].str.startswith("1001")]
    per_mu = industrial["price_wan"] / (industrial["declared_area_m2"] / M2_PER_MU)
    assert per_mu.between(10, 50).all() and per_mu.median() == pytest.approx(22, abs=6)
    assert set(s["delay_cause"].dropna()) == {"enterprise", "government"}


def test_land_inside_an_approval_is_supplied_after_it(demo):
    a, s = demo["approvals"], demo["supplies"]
    points = s.set_geometry(s.geometry.representative_point())
    j = gpd.sjoin(points, a[["approved_on", "geometry"]], predicate="within")
    assert len(j) > 200
    assert (j["supplied_on"] > j["approved_on"]).all()


# --------------------------------------------------------------------------------------------
# approved but unsupplied 批而未供 (issue 3), from the geometry of approvals and supplies
# --------------------------------------------------------------------------------------------
def _batch_table(demo) -> pd.DataFrame:
    a, s = demo["approvals"], demo["supplies"]
    supplied = shapely.union_all(s.loc[s["supplied_on"] <= AS_OF].geometry.values)
    geoms = a.geometry.values
    rate = shapely.area(shapely.intersection(geoms, supplied)) / shapely.area(geoms)
    status = np.where(rate >= 0.999, "full", np.where(rate == 0, "none", "partial"))
    lapsed = (status == "none") & (a["approved_on"] + TWO_YEARS <= AS_OF).to_numpy()
    return pd.DataFrame({"approval_id": a["approval_id"], "rate": rate, "status": status,
                         "lapsed": lapsed})


def test_batches_full_partial_none_and_lapsed(demo):
    t = _batch_table(demo)
    counts = t["status"].value_counts()
    assert counts["full"] >= 3 and counts["partial"] >= 5 and counts["none"] >= 3
    assert t["lapsed"].sum() >= 2
    assert ((t["status"] == "none") & ~t["lapsed"]).sum() >= 1  # approved recently, not lapsed
    a = demo["approvals"]
    assert a["approved_on"].dt.year.min() == 2014 and a["approved_on"].dt.year.max() == 2025
    assert set(a["kind"]) == {"batch", "single"} and (a["kind"] == "batch").mean() > 0.8
    assert a["doc_no"].str.fullmatch(r"浙\w+字〔20\d\d〕\d+号").all()


def test_five_year_supply_rate_is_measurable(demo):
    a, t = demo["approvals"], _batch_table(demo)
    window = (a["approved_on"] > AS_OF - pd.DateOffset(years=5)).to_numpy()
    area = a.geometry.area.to_numpy()
    rate = (t["rate"].to_numpy() * area)[window].sum() / area[window].sum()
    assert 0.2 < rate < 0.95


def test_approvals_declared_areas_holes_and_overlapping_supplies(demo):
    a, s = demo["approvals"], demo["supplies"]
    off = (a["declared_area_m2"] / a.geometry.area - 1).abs()
    assert (off > 0.01).sum() >= 2 and (off < 1e-6).sum() >= 30
    holes = a.geometry.map(lambda g: sum(len(part.interiors) for part in g.geoms))
    assert (holes > 0).sum() >= 1
    tree = shapely.STRtree(s.geometry.values)
    i, j = tree.query(s.geometry.values, predicate="overlaps")
    overlap = shapely.area(shapely.intersection(s.geometry.values[i], s.geometry.values[j]))
    assert (overlap > 100).sum() >= 2  # a couple of contracts overlap their neighbours


def test_unsupplied_remainders_include_usable_pieces_and_slivers(demo):
    a, s = demo["approvals"], demo["supplies"]
    supplied = shapely.union_all(s.geometry.values)
    rest = shapely.get_parts(shapely.difference(a.geometry.values, supplied))
    rest = rest[shapely.area(rest) > 1.0]
    width = 2 * shapely.length(shapely.maximum_inscribed_circle(rest))
    mu = shapely.area(rest) / M2_PER_MU
    usable = (mu >= 3) & (width >= 30)
    assert usable.sum() >= 20
    assert ((width < 30) & (mu >= 3)).sum() >= 3  # narrow strips (roads, surveyed edges)
    assert (mu < 3).sum() >= 2  # small pieces


# --------------------------------------------------------------------------------------------
# enterprises, tenancies (issue 4)
# --------------------------------------------------------------------------------------------
def test_enterprise_figures_are_plausible(demo):
    e = demo["enterprises"]
    assert (e["above_scale"] == (e["revenue_wan"] >= 2000)).all()
    assert 0.3 < e["above_scale"].mean() < 0.8
    assert e["emissions_t"].isna().sum() >= 5 and e["emissions_t"].notna().mean() > 0.9
    assert e["veto"].notna().sum() >= 5
    assert e["veto"].dropna().str.contains("事故|处罚|节能|失信").all()
    assert (e["tax_wan"] < e["revenue_wan"]).all()
    assert (e["value_added_wan"] < e["revenue_wan"] * 1.1).all()
    assert (e["employees"] >= 3).all()
    manufacturing = e["industry_code"].str[:2].astype(int) <= 43
    assert e.loc[manufacturing, "output_wan"].notna().all()
    assert e.loc[~manufacturing, "output_wan"].isna().all()
    # chemicals (26) use more energy per value added than equipment (34–38)
    intensity = e["energy_tce"] / e["value_added_wan"]
    div = e["industry_code"].str[:2].astype(int)
    assert intensity[div == 26].median() > 3 * intensity[div.between(34, 38)].median()


def test_tax_per_mu_spreads_around_a_median_of_12_to_15(demo):
    """亩均税收 of the land owners, on the parcels they own (DOMAIN.md §4.2)."""
    e, p = demo["enterprises"], demo["parcels"]
    owned = p.dropna(subset=["owner_credit_code"]).assign(mu=lambda d: _mu(d.geometry.values))
    land = owned.groupby("owner_credit_code")["mu"].sum()
    e25 = e[e["year"] == 2025].set_index("credit_code")
    tpm = (e25["tax_wan"] / land.reindex(e25.index)).dropna()
    assert len(tpm) > 400
    assert 10 <= tpm.median() <= 18
    assert tpm.min() < 1 and tpm.max() > 60


def test_owners_sit_on_their_parcels_and_others_declare_land(demo):
    e, p = demo["enterprises"], demo["parcels"]
    owned = p.dropna(subset=["owner_credit_code"])
    owners = e[e["credit_code"].isin(owned["owner_credit_code"])]
    assert len(owners) > 800
    hosts = owned.set_index("owner_credit_code").geometry
    own_parcels = gpd.GeoSeries(owners.geometry.values, crs=DEMO_CRS)
    inside = [hosts.loc[[c]].contains(pt).any() for c, pt in
              zip(owners["credit_code"], own_parcels, strict=True)]
    assert all(inside)
    renters = set(demo["tenancies"]["credit_code"])
    landless = e[~e["credit_code"].isin(owned["owner_credit_code"]) &
                 ~e["credit_code"].isin(renters)]
    assert len(landless) > 100 and landless["land_area_m2"].notna().all()


def test_tenancies_rent_space_in_other_firms_parcels(demo):
    t, p, e, b = demo["tenancies"], demo["parcels"], demo["enterprises"], demo["buildings"]
    assert set(t["credit_code"]) <= set(e["credit_code"])
    host = p.set_index("parcel_id").loc[t["parcel_id"]]
    assert (host["status"] == "supplied").all()
    assert (host["owner_credit_code"].to_numpy() != t["credit_code"].to_numpy()).all()
    assert t["rented_floor_m2"].notna().sum() > 60 and t["rented_land_m2"].notna().sum() >= 5
    assert t["credit_code"].duplicated().sum() >= 3  # some rent in two parcels
    tree = shapely.STRtree(p.geometry.values)
    bi, pi = tree.query(b.geometry.values, predicate="within")
    floor = pd.Series(_floor_area(b)[bi]).groupby(p["parcel_id"].to_numpy()[pi]).sum()
    rented = t.groupby("parcel_id")["rented_floor_m2"].sum()
    assert (rented <= floor.reindex(rented.index)).all()


# --------------------------------------------------------------------------------------------
# zoning, constraints, infrastructure, projects (issue 5)
# --------------------------------------------------------------------------------------------
def test_zoning_covers_the_parks_with_standard_land_indicators(demo):
    z, p = demo["zoning"], demo["parcels"]
    industrial = p[(p["status"] != "collective") & p["land_use"].str[:4].isin(["1001", "1101"])]
    points = industrial.set_geometry(industrial.geometry.representative_point())
    j = gpd.sjoin(points, z[["planned_use", "geometry"]], predicate="within")
    assert len(j) == len(industrial)
    nonconforming = j[j["land_use"].str[:2] != j["planned_use"].str[:2]]
    assert 2 <= len(nonconforming) <= 30
    ind = z[z["planned_use"].str.startswith("1001")]
    assert ind["investment_min_wan_per_mu"].between(250, 450).all()
    assert ind["tax_min_wan_per_mu"].between(15, 30).all()
    assert (ind["plot_ratio_min"] < ind["plot_ratio_max"]).all()
    assert ind["energy_max_tce_per_wan"].notna().all() and ind["output_min_wan_per_mu"].notna().all()


def test_constraints_reach_the_stock_land(demo):
    c, p = demo["constraints"], demo["parcels"]
    assert {"basic_farmland", "eco_redline", "hv_corridor", "flood"} <= set(c["kind"])
    effects = c.groupby("kind")["effect"].agg(set)
    assert effects["basic_farmland"] == {"exclude"} and effects["eco_redline"] == {"exclude"}
    assert effects["hv_corridor"] == {"penalize"} and effects["flood"] == {"penalize"}
    hv = c[c["kind"] == "hv_corridor"]
    assert hv["name"].str.contains("220kV").any() and hv["name"].str.contains("500kV").any()
    assert (hv["buffer_m"] > 0).all()
    reserve = p[p["status"] == "reserve"].geometry.values

    def reserve_hit(kind: str) -> int:
        g = shapely.union_all(c[c["kind"] == kind].geometry.values)
        return int((shapely.area(shapely.intersection(reserve, g)) > 1).sum())

    assert reserve_hit("basic_farmland") >= 1
    assert reserve_hit("hv_corridor") >= 2
    supplied = p[p["status"] == "supplied"].geometry.values
    farmland = shapely.union_all(c[c["kind"] == "basic_farmland"].geometry.values)
    assert (shapely.area(shapely.intersection(supplied, farmland)) < 1).all()


def test_infrastructure(demo):
    f = demo["infrastructure"]
    assert {"substation", "water", "sewage", "gas", "road", "highway_exit", "rail"} <= set(f["kind"])
    roads = f[f["kind"] == "road"]
    assert {"trunk", "primary", "secondary", "branch"} <= set(roads["road_class"])
    assert (roads.geom_type == "LineString").all()
    sub = f[f["kind"] == "substation"]
    assert sub["spare_kva"].min() == 0 and sub["spare_kva"].max() == 50_000
    assert (f["kind"] == "highway_exit").sum() == 2
    rail = f[f["kind"] == "rail"].geometry.union_all()
    parcels = demo["parcels"]
    ny = parcels[parcels["zone_id"] == "KFQ-NY"].geometry.union_all()
    xy = parcels[parcels["zone_id"] == "KFQ-XY"].geometry.union_all()
    assert rail.distance(ny) < 100 and rail.distance(xy) > 2_000


def test_projects(demo):
    pr = demo["projects"]
    assert pr["project_id"].is_unique and pr["name"].str.endswith("项目").all()
    assert (pr["need_mu_min"] <= pr["need_mu_max"]).all()
    assert pr["need_mu_min"].min() >= 10 and pr["need_mu_max"].max() <= 200
    assert pr["land_use"].str[:4].isin(["1001", "1101"]).all()
    assert pr["needs_rail"].sum() >= 1 and pr["max_km_to_highway_exit"].notna().sum() >= 2
    assert pr["zones"].notna().sum() >= 3
    zones = set(demo["zones"]["zone_id"])
    assert all(set(z.split(",")) <= zones for z in pr["zones"].dropna())


def test_the_impossible_project_has_its_reasons(demo):
    """XM2026010 must stay in 西园, needs rail within 2 km, an exit within 3 km and 80 MVA:
    nothing in the county offers that."""
    pr = demo["projects"].set_index("project_id").loc["XM2026010"]
    assert pr["zones_required"] and pr["zones"] == "KFQ-XY" and pr["needs_rail"]
    f, p = demo["infrastructure"], demo["parcels"]
    xy = p[p["zone_id"] == "KFQ-XY"].geometry.union_all()
    assert f[f["kind"] == "rail"].distance(xy).min() > 2_000
    assert f[f["kind"] == "highway_exit"].distance(xy).min() > pr["max_km_to_highway_exit"] * 1000
    assert f["spare_kva"].max() < pr["power_kva"]
    three = p[(p["zone_id"] == "KFQ-XY") & (p["status"] == "reserve") & (p["land_use"] == "100103")]
    assert _mu(three.geometry.values).sum() > pr["need_mu_min"]  # the land alone would do


# --------------------------------------------------------------------------------------------
# determinism, scale, writing
# --------------------------------------------------------------------------------------------
def _assert_same(x: dict, y: dict) -> None:
    for name in x:
        a, b = x[name], y[name]
        if isinstance(a, gpd.GeoDataFrame):
            assert (a.geometry.to_wkb().fillna(b"") == b.geometry.to_wkb().fillna(b"")).all()
            a, b = pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
        pd.testing.assert_frame_equal(a, b)


def test_same_seed_same_county_other_seed_other_county(demo):
    _assert_same(demo, build_demo())
    other = build_demo(seed=7)
    assert set(other) == set(demo)
    assert not other["supplies"]["supplied_on"].equals(demo["supplies"]["supplied_on"])


def test_scale_three(demo, demo3):
    for name in LAYERS:
        assert len(demo3[name]) == 3 * len(demo[name]), name
        assert not demo3[name].duplicated(list(catalogue[name].key)).any(), name
        assert (demo3[name].dtypes == demo[name].dtypes).all(), name
    _assert_same(demo, {n: df.iloc[: len(demo[n])].reset_index(drop=True)
                        for n, df in demo3.items()})  # copy 0 is the base county
    codes = pd.concat([demo3[n][c] for n, cols in CREDIT_COLUMNS.items() for c in cols]).dropna()
    assert [c for c in codes.unique() if credit_code_problem(c) is not None] == []
    ent = demo3["enterprises"]
    assert ent["credit_code"].nunique() == 3 * demo["enterprises"]["credit_code"].nunique()
    # foreign keys still meet their keys in every copy
    parcels = set(demo3["parcels"]["parcel_id"])
    assert set(demo3["supplies"]["parcel_id"]) <= parcels
    assert set(demo3["tenancies"]["parcel_id"]) <= parcels
    assert set(demo3["tenancies"]["credit_code"]) <= set(ent["credit_code"])
    owners = demo3["parcels"]["owner_credit_code"].dropna()
    assert set(demo3["supplies"]["user_credit_code"]) == set(owners)
    zones = set(demo3["zones"]["zone_id"])
    assert set(demo3["zones"]["parent_id"].dropna()) <= zones
    assert set(demo3["parcels"]["zone_id"].dropna()) <= zones
    assert all(set(z.split(",")) <= zones for z in demo3["projects"]["zones"].dropna())
    # copies do not overlap one another
    n = len(demo["parcels"])
    boxes = [shapely.box(*demo3["parcels"].geometry.iloc[k * n:(k + 1) * n].total_bounds)
             for k in range(3)]
    assert all(not boxes[i].overlaps(boxes[j]) for i in range(3) for j in range(i + 1, 3))
    for name in ("parcels", "buildings"):
        g = demo3[name].geometry
        assert g.is_valid.all()
    x = demo3["parcels"]["parcel_id"]
    assert x.str.match(r"^(S\d{4}-)?330599").all()


def test_copy_grid_stays_in_zone_40():
    off = copy_offsets(1000)
    assert len(np.unique(off, axis=0)) == 1000 and (off[0] == 0).all()
    from layers.demo.land import ANCHOR, TILE

    x0 = ANCHOR[0] + TILE[0] + off[:, 0]
    x1 = ANCHOR[0] + TILE[2] + off[:, 0]
    y0 = ANCHOR[1] + TILE[1] + off[:, 1]
    y1 = ANCHOR[1] + TILE[3] + off[:, 1]
    assert x0.min() >= EASTING_RANGE[0] and x1.max() <= EASTING_RANGE[1]
    assert y0.min() >= NORTHING_RANGE[0] and y1.max() <= NORTHING_RANGE[1]
    with pytest.raises(ValueError, match="zone 40"):
        copy_offsets(100_000)
    with pytest.raises(ValueError, match="positive"):
        build_demo(scale=0)


def test_write_demo_makes_a_workspace_that_reads_back_the_same(demo, tmp_path):
    messages: list[str] = []
    path = write_demo(tmp_path / "demo.gpkg", progress=messages.append)
    assert path.exists() and len(messages) == 1 + len(LAYERS)
    listed = dict(pyogrio.list_layers(path))
    assert set(LAYERS) <= set(listed)
    assert listed["parcels"] == "MultiPolygon" and listed["projects"] is None
    for name, geometry_type in listed.items():  # every spatial layer carries its CRS (QGIS)
        if geometry_type is not None:
            assert pyogrio.read_info(path, layer=name)["crs"] == "EPSG:4528", name
    ws = open_workspace(path)
    assert ws.crs.to_epsg() == 4528
    assert ws.get_meta("demo_as_of") == "2026-09-30"
    assert set(ws.import_log()["layer"]) == set(LAYERS)
    _assert_same(demo, {name: ws.read(name) for name in LAYERS})


def test_names_read_as_chinese(demo):
    e = demo["enterprises"]
    assert e["name"].str.fullmatch(r"[\u4e00-\u9fff（）]+").all()
    assert e["name"].str.endswith("公司").all()
    pattern = re.compile(r"[东西南]经|[东西南]纬|大道|园路|快速路|连接线|高速")
    roads = demo["infrastructure"].query("kind == 'road'")["name"]
    assert roads.map(lambda n: bool(pattern.search(n))).all()
