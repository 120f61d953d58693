import { escapeXml } from './svg.js';

/** One titled part of the report page. `html` is trusted markup built by the report's own renderers. */
export interface HtmlSection {
  id: string;
  title: string;
  html: string;
}

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d1d1f; background: #f6f7f9; }
header { background: #14213d; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; opacity: .8; font-size: 12px; }
nav { padding: 8px 28px; background: #fff; border-bottom: 1px solid #e3e5e8; position: sticky; top: 0; }
nav a { margin-right: 14px; color: #0b5cad; text-decoration: none; font-size: 13px; }
main { padding: 8px 28px 40px; max-width: 1500px; }
section { background: #fff; border: 1px solid #e3e5e8; border-radius: 8px; padding: 14px 18px; margin: 18px 0; }
section h2 { margin: 0 0 10px; font-size: 17px; }
section h3 { margin: 14px 0 6px; font-size: 14px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.charts svg { max-width: 100%; height: auto; background: #fff; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #e3e5e8; padding: 4px 8px; }
th { background: #f0f2f5; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; font-size: 12px; }
.bad { color: #b00020; }
.good { color: #1b7f3a; }
footer { color: #777; font-size: 12px; padding: 0 28px 24px; }
`;

/** A complete, self-contained HTML page: inline CSS and SVG only, no scripts, no network. */
export function htmlPage(title: string, subtitle: string, sections: HtmlSection[], footer: string): string {
  const nav = sections.map((s) => `<a href="#${escapeXml(s.id)}">${escapeXml(s.title)}</a>`).join('');
  const body = sections.map((s) => `<section id="${escapeXml(s.id)}"><h2>${escapeXml(s.title)}</h2>${s.html}</section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeXml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeXml(title)}</h1><p>${escapeXml(subtitle)}</p></header>
<nav>${nav}</nav>
<main>
${body}
</main>
<footer>${escapeXml(footer)}</footer>
</body>
</html>
`;
}

/** An HTML table; cells that look numeric are right-aligned. */
export function htmlTable(head: string[], rows: string[][]): string {
  const numeric = /^[-+]?[\d.,]+(\s?[%a-zA-Zµ/]+)?$/;
  const th = head.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td${numeric.test(c) ? ' class="num"' : ''}>${escapeXml(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${trs}</tbody></table>`;
}

/** Charts side by side. */
export function chartRow(svgs: string[]): string {
  return `<div class="charts">${svgs.join('')}</div>`;
}
