"""Static HTML pages of a release, readable offline: an index and one page per dataset.

Each dataset page shows what the portal shows (summary, coverage, update calendar, counts of
withheld cells, licence, contact), charts (Vega-Lite specs written with Altair, rendered by
Vega-Embed), the table with a filter per dimension, and the field dictionary. The charts are
generic: one per dimension that has a total, its members with every other dimension at its
total in the latest period, the measure chosen in a list; and the grand total over time when
the dataset covers several periods.

Nothing is fetched from the network: Vega, Vega-Lite and Vega-Embed ship in `assets/`, from
the bundle that the vl-convert-python package embeds (their BSD-3-Clause licence beside it),
and the data of each page is inlined in it.
"""

from __future__ import annotations

import html
import json
from importlib import metadata as package_metadata
from pathlib import Path

from iclsc.publish import documents as doc
from iclsc.publish.manifest import Dataset, Field
from iclsc.publish.metadata import NO_PERIOD_YET
from iclsc.publish.portal import PortalMeta

ASSETS = "assets"
VEGA_BUNDLE = f"{ASSETS}/vega.js"
VEGA_LICENCE = f"{ASSETS}/LICENCE-vega.txt"
STYLE = f"{ASSETS}/style.css"
TABLE_SCRIPT = f"{ASSETS}/table.js"
PAGES = "pages"
INDEX = "index.html"
# Above this many rows a page holds the latest period only (the CSV holds everything).
MAX_TABLE_ROWS = 200_000
MAX_BARS = 150
MANY_BARS = 40

BSD_3 = """Copyright (c) 2015-2025, University of Washington Interactive Data Lab
All rights reserved.

Redistribution and use in source and binary forms, with or without modification, are
permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this list of
   conditions and the following disclaimer.
2. Redistributions in binary form must reproduce the above copyright notice, this list of
   conditions and the following disclaimer in the documentation and/or other materials
   provided with the distribution.
3. Neither the name of the copyright holder nor the names of its contributors may be used
   to endorse or promote products derived from this software without specific prior
   written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS
OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE
COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL,
EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE
GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED
AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING
NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED
OF THE POSSIBILITY OF SUCH DAMAGE.
"""

CSS = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 2rem;
       color: #1b1b1b; line-height: 1.45; }
header { border-bottom: 3px solid #095797; margin-bottom: 1rem; }
h1 { color: #095797; font-size: 1.6rem; } h2 { color: #095797; margin-top: 2rem; }
table { border-collapse: collapse; font-size: .9rem; margin: .5rem 0; }
th, td { border: 1px solid #c5cad2; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef3f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.withheld td { color: #6b778a; background: #f6f6f6; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
.chart { margin: 1rem 0 2rem; } .note { color: #4a5568; font-size: .9rem; }
.filters label { display: inline-block; margin: 0 1rem .5rem 0; font-size: .9rem; }
.pager button { margin: 0 .25rem; }
code { background: #f1f1f1; padding: 0 .2rem; }
.warning { background: #fff4e5; border-left: 4px solid #e0a800; padding: .5rem 1rem; }
"""

# The table: filters on every dimension, 50 rows a page. Reads the JSON the page inlines.
TABLE_JS = r"""
(function () {
  "use strict";
  function start() {
    var source = document.getElementById("table-data");
    var host = document.getElementById("table");
    if (!source || !host) { return; }
    var data = JSON.parse(source.textContent);
    var fields = data.fields, rows = data.rows, size = 50, page = 0, chosen = {};
    var filters = document.createElement("div"); filters.className = "filters";
    fields.forEach(function (f, i) {
      if (!f.values) { return; }
      var label = document.createElement("label"); label.textContent = f.title + " ";
      var select = document.createElement("select"); select.dataset.field = String(i);
      var all = document.createElement("option"); all.value = ""; all.textContent = "(toutes)";
      select.appendChild(all);
      f.values.forEach(function (v, j) {
        var o = document.createElement("option"); o.value = String(j); o.textContent = v;
        select.appendChild(o);
      });
      select.addEventListener("change", function () {
        if (select.value === "") { delete chosen[i]; } else { chosen[i] = Number(select.value); }
        page = 0; draw();
      });
      label.appendChild(select); filters.appendChild(label);
    });
    var count = document.createElement("p"); count.className = "note";
    var table = document.createElement("table"); table.id = "cells";
    var head = document.createElement("thead"), body = document.createElement("tbody");
    var tr = document.createElement("tr");
    fields.forEach(function (f) {
      var th = document.createElement("th"); th.textContent = f.title; th.title = f.name;
      tr.appendChild(th);
    });
    head.appendChild(tr); table.appendChild(head); table.appendChild(body);
    var pager = document.createElement("p"); pager.className = "pager";
    var previous = document.createElement("button"); previous.textContent = "\u2039 précédentes";
    var next = document.createElement("button"); next.textContent = "suivantes \u203a";
    previous.addEventListener("click", function () { if (page > 0) { page -= 1; draw(); } });
    next.addEventListener("click", function () { page += 1; draw(); });
    pager.appendChild(previous); pager.appendChild(next);
    host.appendChild(filters); host.appendChild(count);
    host.appendChild(table); host.appendChild(pager);
    function matches(row) {
      for (var key in chosen) { if (row[key] !== chosen[key]) { return false; } }
      return true;
    }
    function draw() {
      var kept = rows.filter(matches);
      var pages = Math.max(1, Math.ceil(kept.length / size));
      if (page >= pages) { page = pages - 1; }
      count.textContent = kept.length + " cellules; page " + (page + 1) + " sur " + pages + ".";
      body.textContent = "";
      kept.slice(page * size, page * size + size).forEach(function (row) {
        var line = document.createElement("tr");
        if (row[data.suppressed] === true) { line.className = "withheld"; }
        row.forEach(function (value, i) {
          var td = document.createElement("td"), f = fields[i];
          if (f.values) { td.textContent = f.values[value]; }
          else if (value === null) { td.textContent = "—"; td.title = "valeur supprimée"; }
          else if (value === true || value === false) { td.textContent = value ? "oui" : "non"; }
          else { td.textContent = String(value); td.className = "num"; }
          line.appendChild(td);
        });
        body.appendChild(line);
      });
      previous.disabled = page === 0; next.disabled = page + 1 >= pages;
      host.dataset.rows = String(body.children.length);
    }
    draw();
    host.dataset.status = "rendered";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
"""

# Renders every chart the page declares and records the outcome on the page, for readers
# (a message in place of a failed chart) and for the browser test.
EMBED_JS = """
(function () {
  "use strict";
  var errors = [];
  window.addEventListener("error", function (e) {
    errors.push(String(e.message)); document.body.dataset.errors = errors.join(" | ");
  });
  var charts = document.querySelectorAll("[data-chart]"), done = 0, failed = 0;
  function settle() {
    document.body.dataset.chartsRendered = String(done);
    document.body.dataset.chartsFailed = String(failed);
  }
  settle();
  charts.forEach(function (host) {
    var spec = JSON.parse(document.getElementById(host.dataset.chart).textContent);
    if (typeof vegaEmbed !== "function") {
      failed += 1; host.dataset.status = "failed"; host.textContent = "Graphique indisponible.";
      settle(); return;
    }
    vegaEmbed(host, spec, {renderer: "svg", actions: false}).then(function () {
      done += 1; host.dataset.status = "rendered"; settle();
    }).catch(function (error) {
      failed += 1; host.dataset.status = "failed"; host.textContent = "Graphique indisponible.";
      errors.push(String(error)); document.body.dataset.errors = errors.join(" | "); settle();
    });
  });
})();
"""


def write_assets(release_dir: Path) -> list[str]:
    """Vega bundle (classic script, for file:// pages), its licence, the style and the table."""
    import vl_convert
    from altair import SCHEMA_VERSION

    vl_version = "_".join(SCHEMA_VERSION.lstrip("v").split(".")[:2])
    bundle = vl_convert.javascript_bundle(
        snippet="window.vegaEmbed = vegaEmbed;", vl_version=vl_version
    )
    # A module cannot load from file:// in Chromium; the bundle has no import or export, so
    # it runs as a classic script inside a function scope.
    (release_dir / ASSETS).mkdir(parents=True, exist_ok=True)
    (release_dir / VEGA_BUNDLE).write_text(
        '(function () {\n"use strict";\n' + bundle + "\n})();\n", encoding="utf-8"
    )
    versions = (
        f"Vega {vl_convert.get_vega_version()}, Vega-Lite {vl_version.replace('_', '.')}, "
        f"Vega-Embed {vl_convert.get_vega_embed_version()}"
    )
    (release_dir / VEGA_LICENCE).write_text(
        f"assets/vega.js bundles {versions} (https://vega.github.io), as embedded in the "
        f"vl-convert-python package {package_metadata.version('vl-convert-python')}, "
        "each under the BSD 3-Clause licence below.\n\n" + BSD_3,
        encoding="utf-8",
    )
    (release_dir / STYLE).write_text(CSS.lstrip(), encoding="utf-8")
    (release_dir / TABLE_SCRIPT).write_text(TABLE_JS.lstrip(), encoding="utf-8")
    return [VEGA_BUNDLE, VEGA_LICENCE, STYLE, TABLE_SCRIPT]


# --------------------------------------------------------------------------- charts


def charted_measures(dataset: Dataset) -> list[Field]:
    """The measures a chart can draw: numbers (a boolean measure is shown in the table only)."""
    return [m for m in dataset.measures if m.frictionless_type in ("integer", "number")]


def _number(text: str):
    if text == "":
        return None
    return float(text) if "." in text else int(text)


def latest_period_filter(dataset: Dataset, meta: PortalMeta, rows: list[list[str]]) -> dict:
    """{column: value} that selects the latest period of the dataset."""
    names = [f.name for f in dataset.fields]
    columns = [meta.fiscal_year_field] + ([meta.period_field] if meta.period_field else [])
    totals = {f.name: f.total for f in dataset.fields}
    keys = set()
    for row in rows:
        values = tuple(row[names.index(c)] for c in columns)
        if any(v == totals.get(c) for v, c in zip(values, columns, strict=True)):
            continue
        keys.add(values)
    if not keys:
        return {}
    latest = max(keys, key=lambda v: tuple(_order(x) for x in v))
    return dict(zip(columns, latest, strict=True))


def _order(value: str) -> int:
    """The number a fiscal year ('2025-2026') or a period ('5', 'P05') sorts by."""
    digits = value.split("-")[0].upper().removeprefix("P")
    return int(digits) if digits.isdigit() else -1


def chart_rows(
    dataset: Dataset, dimension: Field, fixed: dict, rows: list[list[str]]
) -> list[list[str]]:
    """Members of `dimension`, every other dimension at its total (or `fixed`), in order."""
    names = [f.name for f in dataset.fields]
    parent_of = {f.name: f.parent for f in dataset.dimensions}
    keep = []
    for row in rows:
        value = row[names.index(dimension.name)]
        if value == dimension.total:
            continue
        ok = True
        for other in dataset.dimensions:
            if other.name == dimension.name:
                continue
            current = row[names.index(other.name)]
            if other.name in fixed:
                ok = current == fixed[other.name]
            elif parent_of.get(dimension.name) == other.name or _is_ancestor(
                other.name, dimension.name, parent_of
            ):
                ok = current != other.total
            elif other.total is not None:
                ok = current == other.total
            if not ok:
                break
        if ok:
            keep.append(row)
    return keep


def _all_zero(dataset: Dataset, row: list[str]) -> bool:
    names = [f.name for f in dataset.fields]
    return all(_number(row[names.index(m.name)]) == 0 for m in charted_measures(dataset))


def _is_ancestor(candidate: str, name: str, parent_of: dict) -> bool:
    seen = parent_of.get(name)
    while seen:
        if seen == candidate:
            return True
        seen = parent_of.get(seen)
    return False


def _measure_records(dataset: Dataset, rows: list[list[str]], label_field: str) -> list[dict]:
    names = [f.name for f in dataset.fields]
    suppressed_at = names.index(dataset.suppressed.name)
    records = []
    for row in rows:
        for measure in charted_measures(dataset):
            records.append(
                {
                    "categorie": row[names.index(label_field)],
                    "mesure": measure.title,
                    "valeur": _number(row[names.index(measure.name)]),
                    "supprimee": row[suppressed_at] == "true",
                }
            )
    return records


def bar_chart(dataset: Dataset, dimension: Field, records: list[dict], subtitle: str) -> dict:
    import altair as alt

    measures = [m.title for m in charted_measures(dataset)]
    choice = alt.param(
        name="mesure_choisie",
        value=measures[0],
        bind=alt.binding_select(options=measures, name="Mesure : "),
    )
    base = alt.Chart(alt.Data(values=records)).transform_filter("datum.mesure == mesure_choisie")
    y = alt.Y("categorie:N", title=dimension.title, sort=None)
    bars = base.mark_bar(color="#095797").encode(
        x=alt.X("valeur:Q", title=None),
        y=y,
        tooltip=[
            alt.Tooltip("categorie:N", title=dimension.title),
            alt.Tooltip("mesure:N", title="Mesure"),
            alt.Tooltip("valeur:Q", title="Valeur", format=",.2~f"),
        ],
    )
    withheld = (
        base.transform_filter("datum.supprimee")
        .transform_calculate(zero="0")
        .mark_text(align="left", dx=3, color="#6b778a", text="supprimée")
        .encode(x=alt.X("zero:Q"), y=y)
    )
    chart = alt.layer(bars.add_params(choice), withheld).properties(
        title=alt.Title(f"Par {dimension.title.lower()}", subtitle=subtitle),
        width=560,
        height=alt.Step(16),
    )
    return chart.to_dict()


def time_chart(dataset: Dataset, records: list[dict], label: str) -> dict:
    import altair as alt

    measures = [m.title for m in charted_measures(dataset)]
    choice = alt.param(
        name="mesure_choisie",
        value=measures[0],
        bind=alt.binding_select(options=measures, name="Mesure : "),
    )
    chart = (
        alt.Chart(alt.Data(values=records))
        .transform_filter("datum.mesure == mesure_choisie")
        .mark_line(point=True, color="#095797")
        .encode(
            x=alt.X("categorie:O", title=label),
            y=alt.Y("valeur:Q", title=None),
            tooltip=[
                alt.Tooltip("categorie:O", title=label),
                alt.Tooltip("valeur:Q", title="Valeur", format=",.2~f"),
            ],
        )
        .add_params(choice)
        .properties(title="Évolution du total", width=560, height=240)
    )
    return chart.to_dict()


def chart_specs(dataset: Dataset, meta: PortalMeta, rows: list[list[str]]) -> list[dict]:
    if not charted_measures(dataset):
        return []
    latest = latest_period_filter(dataset, meta, rows)
    period_label = " ".join(latest.values())
    specs = []
    names = [f.name for f in dataset.fields]
    temporal = [meta.fiscal_year_field] + ([meta.period_field] if meta.period_field else [])
    other_fixed = {}
    for f in dataset.dimensions:
        if f.total is None and f.name not in temporal:
            values = sorted({row[names.index(f.name)] for row in rows})
            if values:
                other_fixed[f.name] = values[0]
    fixed = {**latest, **other_fixed}
    for dimension in dataset.dimensions:
        if dimension.name in latest:
            continue
        # A dimension without a total (an establishment, say) is charted by its members with
        # the others fixed; elsewhere it stays fixed at one of its values.
        fixed_here = {name: value for name, value in fixed.items() if name != dimension.name}
        selected = chart_rows(dataset, dimension, fixed_here, rows)
        subtitle = f"{period_label}; autres dimensions : total" if dimension.total else period_label
        if len(selected) > MANY_BARS:
            # A long list of territories is readable only without its empty members.
            selected = [r for r in selected if not _all_zero(dataset, r)]
            subtitle += "; cellules à zéro omises"
        selected = selected[:MAX_BARS]
        if not selected:
            continue
        label_field = dimension.name
        if dimension.parent:
            subtitle += f" (regroupé par {dimension.parent})"
        specs.append(
            {
                "title": f"Par {dimension.title.lower()}",
                "spec": bar_chart(
                    dataset, dimension, _measure_records(dataset, selected, label_field), subtitle
                ),
            }
        )
    over_time = _grand_totals(dataset, temporal, rows)
    if len(over_time) > 1:
        records = []
        for label, row in over_time:
            for record in _measure_records(dataset, [row], dataset.dimensions[0].name):
                record["categorie"] = label
                records.append(record)
        specs.insert(
            0, {"title": "Évolution du total", "spec": time_chart(dataset, records, "Période")}
        )
    return specs


def _grand_totals(
    dataset: Dataset, temporal: list[str], rows: list[list[str]]
) -> list[tuple[str, list[str]]]:
    names = [f.name for f in dataset.fields]
    found = []
    for row in rows:
        if all(
            row[names.index(f.name)] == f.total
            for f in dataset.dimensions
            if f.name not in temporal and f.total is not None
        ):
            label = " ".join(row[names.index(c)] for c in temporal if c in names)
            found.append((label, row))
    return sorted(found, key=lambda item: item[0])


# --------------------------------------------------------------------------- pages


def table_data(dataset: Dataset, rows: list[list[str]]) -> dict:
    fields = []
    encoders = []
    for index, f in enumerate(dataset.fields):
        if f.role == "dimension":
            values = list(dict.fromkeys(row[index] for row in rows))
            encoders.append({v: i for i, v in enumerate(values)})
            fields.append({"name": f.name, "title": f.title, "values": values})
        else:
            encoders.append(None)
            fields.append({"name": f.name, "title": f.title})
    out_rows = []
    for row in rows:
        encoded = []
        for text, f, encoder in zip(row, dataset.fields, encoders, strict=True):
            if encoder is not None:
                encoded.append(encoder[text])
            elif f.role == "suppressed":
                encoded.append(text == "true")
            elif f.frictionless_type == "boolean":
                encoded.append(None if text == "" else text == "true")
            else:
                encoded.append(_number(text))
        out_rows.append(encoded)
    suppressed = [f.name for f in dataset.fields].index(dataset.suppressed.name)
    return {"fields": fields, "rows": out_rows, "suppressed": suppressed}


def _script_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _e(text) -> str:
    return html.escape(str(text))


def page_shell(title: str, body: str, depth: int, scripts: list[str]) -> str:
    up = "../" * depth
    tags = "".join(f'<script src="{up}{s}"></script>' for s in scripts)
    return (
        '<!doctype html>\n<html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title>"
        f'<link rel="stylesheet" href="{up}{STYLE}">{tags}</head>\n<body>\n{body}\n</body></html>\n'
    )


def dataset_page(
    dataset: Dataset,
    meta: PortalMeta,
    rows: list[list[str]],
    facts: dict,
    links: dict,
) -> tuple[str, int]:
    """The page of one dataset, and the number of charts it declares."""
    specs = chart_specs(dataset, meta, rows)
    shown = rows
    table_note = f"Les {len(rows)} cellules du fichier."
    if len(rows) > MAX_TABLE_ROWS:
        latest = latest_period_filter(dataset, meta, rows)
        names = [f.name for f in dataset.fields]
        shown = [r for r in rows if all(r[names.index(c)] == v for c, v in latest.items())]
        shown = shown[:MAX_TABLE_ROWS]
        table_note = (
            f"{len(shown)} cellules de la dernière période ({' '.join(latest.values())}) sur "
            f"{len(rows)}; le fichier CSV les contient toutes."
        )
    charts_html = "".join(
        f'<div class="chart" id="chart-{i}" data-chart="spec-{i}" data-status="pending"></div>'
        f'<script type="application/json" id="spec-{i}">{_script_json(s["spec"])}</script>'
        for i, s in enumerate(specs)
    )
    fact_rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts.items())
    link_items = "".join(
        f'<li><a href="{_e(href)}">{_e(text)}</a></li>' for text, href in links.items()
    )
    dictionary = doc.to_html_fragment(
        [
            doc.table(
                ["champ", "titre", "type", "rôle", "description"],
                [
                    [f"`{f.name}`", f.title, f.frictionless_type, f.role, f.description]
                    for f in dataset.fields
                ],
            )
        ]
    )
    no_chart = (
        "<p>Ce jeu de données n&#39;a pas de mesure à représenter.</p>"
        if rows
        else f"<p>{_e(NO_PERIOD_YET)}</p>"
    )
    warning = ""
    if facts.get("Clé de pseudonymisation") == "développement":
        warning = (
            '<p class="warning">Version produite avec la clé de développement sur un extrait '
            "synthétique : ces chiffres ne décrivent aucune personne réelle.</p>"
        )
    body = f"""<header><p><a href="../{INDEX}">Toutes les données I-CLSC</a></p>
<h1>{_e(dataset.title)}</h1></header>
{warning}
<p>{_e(meta.summary)}</p>
<p class="note">{_e(dataset.description)}</p>
<dl class="facts">{fact_rows}</dl>
<h2>Fichiers et documentation</h2><ul>{link_items}</ul>
<h2>Graphiques</h2>
<p class="note">Une cellule supprimée pour protéger la confidentialité n'a pas de barre; elle est
marquée « supprimée ». Un total compte des personnes distinctes : il peut être inférieur à la
somme de ses parties.</p>
{charts_html if specs else no_chart}
<h2>Tableau</h2><p class="note">{_e(table_note)} Un tiret marque une valeur supprimée.</p>
<div id="table" data-status="pending"></div>
<script type="application/json" id="table-data">{_script_json(table_data(dataset, shown))}</script>
<h2>Dictionnaire des champs</h2>{dictionary}
<script>{EMBED_JS}</script>"""
    return page_shell(dataset.title, body, 1, [VEGA_BUNDLE, TABLE_SCRIPT]), len(specs)


def index_page(release_id: str, entries: list[dict], documents: dict, development: bool) -> str:
    items = "".join(
        f"""<section><h2><a href="{_e(e["page"])}">{_e(e["title"])}</a></h2>
<p>{_e(e["summary"])}</p>
<p class="note">Périodes : {_e(e["coverage"])}. {_e(e["cells"])} cellules, dont {_e(e["withheld"])}
supprimées. <a href="{_e(e["csv"])}">CSV</a> · <a href="{_e(e["parquet"])}">Parquet</a> ·
<a href="{_e(e["methodology"])}">méthodologie</a></p></section>"""
        for e in entries
    )
    docs = "".join(
        f'<li><a href="{_e(href)}">{_e(text)}</a></li>' for text, href in documents.items()
    )
    warning = (
        '<p class="warning">Version produite avec la clé de développement sur un extrait '
        "synthétique : ces chiffres ne décrivent aucune personne réelle.</p>"
        if development
        else ""
    )
    body = f"""<header><h1>Statistiques des services des CLSC (I-CLSC) — données ouvertes</h1>
<p>Version {_e(release_id)}. Licence CC-BY 4.0.</p></header>
{warning}{items}<h2>Documentation de la version</h2><ul>{docs}</ul>"""
    return page_shell("Données ouvertes I-CLSC", body, 0, [])


def write_page(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
