"""Writes 03_site_matching.ipynb (kept as a script so the notebook's source is reviewable)."""

import nbformat as nbf

cells = [
    nbf.v4.new_markdown_cell(
        "# 地等项目：为招商项目找地\n# Matching projects to land on the demo county\n\n"
        "候选地块来自三清的存量土地（批而未供的可用剩余地块、储备净地、应收回的闲置地、低效用地），"
        "相邻地块可合并；每条硬性条件（用途、红线、面积、标准地指标、铁路、高速、电力、园区）都记录"
        "排除原因，每个得分项都有说明。"),
    nbf.v4.new_code_cell(
        "from layers.demo import build_demo, DEMO_AS_OF\n"
        "from gis.matching import MatchIndex, match\n\n"
        "layers = build_demo()\n"
        "index = MatchIndex.build(layers, as_of=DEMO_AS_OF)\n"
        "projects = layers['projects']\n"
        "projects[['project_id', 'name', 'land_use', 'need_mu_min', 'need_mu_max',"
        " 'investment_wan']]"),
    nbf.v4.new_code_cell(
        "answers = {p['project_id']: match(p, index=index) for p in projects.to_dict('records')}\n"
        "for pid, a in answers.items():\n"
        "    top = a['sites'][0] if a['sites'] else None\n"
        "    print(pid, a['project']['name'], '→',\n"
        "          (f\"{'+'.join(top['parcel_ids'])} {top['area_mu']:.1f} 亩 {top['score']:.0f} 分：\"\n"
        "           f\"{top['explanation']}\") if top else '无合适地块 / nothing fits')"),
    nbf.v4.new_code_cell(
        "# every project is answered: ranked sites, or exclusions that say which rule failed\n"
        "for a in answers.values():\n"
        "    assert a['sites'] or a['excluded']\n"
        "    for miss in a['excluded']:\n"
        "        assert miss['rule'] and miss['detail']\n"
        "first = next(a for a in answers.values() if a['sites'])\n"
        "first['sites'][0]['criteria'], first['sites'][0]['checks']"),
    nbf.v4.new_markdown_cell("## 为什么没有地 Why nothing fits"),
    nbf.v4.new_code_cell(
        "empty = [a for a in answers.values() if not a['sites']]\n"
        "[(m['parcel_id'], m['rule'], m['detail']) for a in empty for m in a['excluded'][:5]]"),
]
nb = nbf.v4.new_notebook(cells=cells, metadata={
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nbf.write(nb, "notebooks/03_site_matching.ipynb")
