"""Maps: folium web maps (:mod:`gis.maps.interactive`) and print maps (:mod:`gis.maps.print`).

Both take the same layers the analyses take, apply the same role mask (:mod:`gis.access`) and
use one palette (:mod:`gis.maps.palette`).
"""
