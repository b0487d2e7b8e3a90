"""Writes 02_permu_evaluation.ipynb (kept as a script so the notebook's source is reviewable)."""

import nbformat as nbf

cells = [
    nbf.v4.new_markdown_cell(
        "# 亩均论英雄：示范县的亩均效益评价与开发区集约利用\n"
        "# Per-mu evaluation and zone indicators on the demo county\n\n"
        "经信局和自然资源局每年一起做：按企业用地（自有宗地 + 租用土地 + 租用厂房折算）计算亩均税收、"
        "亩均增加值等指标，规上、规下分组打分排序，按 20%/55%/20%/5% 分 A/B/C/D 四类，"
        "安全环保事故一票否决。默认方案为黄岩 2023 权重，可用本县 TOML 覆盖。"),
    nbf.v4.new_code_cell(
        "import matplotlib\nmatplotlib.use('Agg')\n"
        "from layers.demo import build_demo, DEMO_AS_OF\n"
        "from gis.evaluation import evaluate\n\n"
        "layers = build_demo()\n"
        "result = evaluate(layers, as_of=DEMO_AS_OF)\n"
        "result.year, result.summary['classes']"),
    nbf.v4.new_markdown_cell("## 评价结果 The evaluation\n各组的基准值（组内 Σ分子 ÷ Σ分母）："),
    nbf.v4.new_code_cell("result.permu.benchmarks"),
    nbf.v4.new_code_cell(
        "firms = result.permu.enterprises\n"
        "cols = ['name', 'group', 'land_mu', 'tax_per_mu', 'value_added_per_mu', 'score', 'rank',"
        " 'class', 'vetoed']\n"
        "firms[firms['group'] == 'above'].sort_values('rank')[cols].head(8)"),
    nbf.v4.new_code_cell(
        "# a vetoed firm is never A or B; every class occurs in both groups\n"
        "assert not firms.loc[firms['vetoed'].fillna(False), 'class'].isin(['A', 'B']).any()\n"
        "assert all(set(c) == {'A', 'B', 'C', 'D'} for c in result.summary['classes'].values())\n"
        "firms.loc[firms['vetoed'].fillna(False), ['name', 'veto', 'class']]"),
    nbf.v4.new_markdown_cell("## 差别化措施 Differentiated measures"),
    nbf.v4.new_code_cell(
        "firms[firms['class'].isin(['A', 'D'])].groupby('class')[['land_tax_relief_wan',"
        " 'power_surcharge_wan']].sum()"),
    nbf.v4.new_markdown_cell(
        "## 开发区土地集约利用 Zone indicators\n与全国平均（自然资源部监测统计）对比："),
    nbf.v4.new_code_cell(
        "z = result.zones\n"
        "z[['name', 'land_development_rate', 'land_supply_rate', 'built_rate',"
        " 'composite_plot_ratio', 'composite_plot_ratio_national', 'industrial_tax_per_ha',"
        " 'industrial_tax_per_ha_national', 'years_of_supply_left']]"),
    nbf.v4.new_code_cell(
        "colors = {'A': '#1a9850', 'B': '#91cf60', 'C': '#fc8d59', 'D': '#d73027'}\n"
        "parcels = result.permu.parcels\n"
        "ax = layers['parcels'].plot(color='#eeeeee', edgecolor='#cccccc', linewidth=0.2,"
        " figsize=(9, 9))\n"
        "for cls, color in colors.items():\n"
        "    part = parcels[parcels['owner_class'] == cls]\n"
        "    if len(part):\n"
        "        part.plot(ax=ax, color=color)\n"
        "ax.set_title('owner class of each parcel: A green … D red')\n"
        "ax.set_axis_off()"),
]
nb = nbf.v4.new_notebook(cells=cells, metadata={
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nbf.write(nb, "notebooks/02_permu_evaluation.ipynb")
