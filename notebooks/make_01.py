"""Writes 01_three_cleanups.ipynb (kept as a script so the notebook's source is reviewable)."""

import nbformat as nbf

cells = [
    nbf.v4.new_markdown_cell(
        "# 三清：示范县的闲置、批而未供与低效用地\n"
        "# The three clean-ups on the demo county\n\n"
        "自然资源局每月/季度要回答三个问题：哪些已供土地闲置了（53号令）、哪些批准的土地还没有供出去、"
        "哪些工业用地用得低效。下面在示范县上、以其基准日 2026-09-30 计算这三张台账。\n\n"
        "Every row says why it is there; every threshold comes from the policy with its source."),
    nbf.v4.new_code_cell(
        "import matplotlib\nmatplotlib.use('Agg')\n"
        "import pandas as pd\n"
        "from layers.demo import build_demo, DEMO_AS_OF\n"
        "from gis.cleanup import cleanup\n"
        "from gis.policy import Policy\n\n"
        "layers = build_demo()\n"
        "result = cleanup(layers, DEMO_AS_OF, Policy.load())\n"
        "result.summary['idle'], result.summary['watch']"),
    nbf.v4.new_markdown_cell(
        "## 闲置土地 Idle land\n"
        "A 类：超过约定动工日期满一年未动工；B 类：已动工但开发面积不足 1/3 或投资不足 25%，且中止满一年。"
        "企业原因满一年征缴 20% 闲置费，满两年无偿收回；政府原因协商处置。"),
    nbf.v4.new_code_cell(
        "cols = ['supply_id', 'idle_type', 'idle_since', 'overdue_years', 'cause', 'action',"
        " 'fee_wan', 'area_mu']\n"
        "result.idle[cols].head(10)"),
    nbf.v4.new_code_cell(
        "# every lawful action occurs on the demo county\n"
        "assert {'levy_fee', 'take_back', 'negotiate'} <= set(result.idle['action'])\n"
        "assert set(result.idle['idle_type']) == {'A', 'B'} and len(result.watch) > 0\n"
        "result.watch[['supply_id', 'becomes_idle_on', 'idle_type']]"),
    nbf.v4.new_markdown_cell(
        "## 批而未供 Approved but unsupplied\n"
        "每个批次的批准面积、已供面积、供地率和状态；剩余部分拆成地块，标出面积过小或过窄的边角地。"),
    nbf.v4.new_code_cell(
        "b = result.unsupplied.batches\n"
        "print(b['status'].value_counts().to_dict(), 'lapsed:', int(b['lapsed'].sum()))\n"
        "result.unsupplied.five_year"),
    nbf.v4.new_code_cell(
        "p = result.unsupplied.pieces\n"
        "assert p['usable'].any() and set(p['reason'].dropna()) == {'too_small', 'too_narrow'}\n"
        "p[['piece_id', 'area_mu', 'width_m', 'usable', 'reason']].head(10)"),
    nbf.v4.new_markdown_cell("## 低效用地 Low-efficiency land"),
    nbf.v4.new_code_cell(
        "low = result.low_efficiency\n"
        "print(result.summary['low_efficiency']['by_reason'])\n"
        "low[['parcel_id', 'industry_code', 'area_mu', 'plot_ratio', 'plot_ratio_min',"
        " 'building_coverage', 'tax_per_mu', 'reasons']].head(10)"),
    nbf.v4.new_markdown_cell(
        "## 按园区汇总 By park, and a quick map\n"
        "（正式的网页地图和打印图见后续功能；这里只是快速查看，坐标为高斯-克吕格投影。）"),
    nbf.v4.new_code_cell(
        "result.by('zone_id')"),
    nbf.v4.new_code_cell(
        "ax = layers['parcels'].plot(color='#eeeeee', edgecolor='#cccccc', linewidth=0.2,"
        " figsize=(9, 9))\n"
        "result.unsupplied.pieces.query('usable').plot(ax=ax, color='#2ca02c')\n"
        "result.low_efficiency.plot(ax=ax, color='#ff7f0e')\n"
        "result.idle.plot(ax=ax, color='#d62728')\n"
        "ax.set_title('idle (red), low-efficiency (orange), usable unsupplied (green)')\n"
        "ax.set_axis_off()"),
]
nb = nbf.v4.new_notebook(cells=cells, metadata={
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nbf.write(nb, "notebooks/01_three_cleanups.ipynb")
