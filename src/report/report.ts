import { readdirSync, statSync } from 'node:fs';
import { readJsonFile, readRegularFilePrefix } from '../util/safe-read.js';
import { join, relative } from 'node:path';
import { UserError } from '../util/errors.js';
import { htmlPage, htmlTable, chartRow, type HtmlSection } from './html.js';
import { markdownTable, markdownText } from './format.js';
import { escapeXml } from './svg.js';

/** A table of a report section: the same cells go into the HTML page and the Markdown summary. */
export interface ReportTable {
  caption: string;
  head: string[];
  rows: string[][];
  /** Column alignment for Markdown ('l' or 'r'); default: first column left, the rest right. */
  align?: ('l' | 'r')[];
}

/** One part of the report: tables (HTML and Markdown), charts (HTML only) and notes (both). */
export interface ReportSection {
  id: string;
  title: string;
  tables: ReportTable[];
  charts: string[];
  notes: string[];
}

/** A JSON file found in the report folder. */
export interface ReportInput {
  /** Path relative to the report folder. */
  file: string;
  /** Its `format` field (e.g. snnc-robustness), or 'unknown'. */
  format: string;
  data: unknown;
}

/** JSON files larger than this are not read (mapped artifacts with weights can be big and are not needed). */
const MAX_JSON_BYTES = 64 * 1024 * 1024;
const MAX_ONNX_BYTES = 256 * 1024 * 1024;

/** Pseudo format of ONNX model files found in the report folder (`data` is `{ path }`). */
export const ONNX_MODEL_FORMAT = 'onnx-model';

/**
 * Every JSON file under `dir` (up to 3 folders deep), parsed, with its format tag. Files that are not
 * JSON objects are skipped and listed in `skipped` with the reason.
 */
export function collectReportInputs(dir: string, wanted: (format: string) => boolean = () => true): { inputs: ReportInput[]; skipped: { file: string; reason: string }[] } {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new UserError(`report folder '${dir}' does not exist`);
  }
  if (!st.isDirectory()) throw new UserError(`'${dir}' is not a folder (give the folder holding compile, simulate, verify or robustness outputs)`);
  const inputs: ReportInput[] = [];
  const skipped: { file: string; reason: string }[] = [];
  const walk = (d: string, depth: number) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const path = join(d, name);
      const file = relative(dir, path);
      let s;
      try {
        s = statSync(path);
      } catch (e) {
        // A dangling or looping link among the outputs is skipped, like any file the report cannot use.
        const code = (e as NodeJS.ErrnoException).code;
        skipped.push({ file, reason: code === 'ELOOP' ? 'a symbolic link that loops' : code === 'ENOENT' ? 'a symbolic link to nothing' : `cannot be read (${code})` });
        continue;
      }
      if (s.isDirectory()) {
        if (depth < 3) walk(path, depth + 1);
        continue;
      }
      const wantedKind = name.endsWith('.onnx') || name.endsWith('.json');
      if (!wantedKind) continue;
      if (!s.isFile()) {
        // A named pipe would block the reader forever, a device never ends.
        skipped.push({ file, reason: s.isFIFO() ? 'a named pipe (FIFO), not a regular file' : 'not a regular file' });
        continue;
      }
      if (name.endsWith('.onnx')) {
        // models beside the outputs: ANNs give the MAC count of the ANN-vs-SNN comparison
        if (s.size <= MAX_ONNX_BYTES) inputs.push({ file, format: ONNX_MODEL_FORMAT, data: { path } });
        else skipped.push({ file, reason: `larger than ${MAX_ONNX_BYTES / 1048576} MB` });
        continue;
      }
      if (s.size > MAX_JSON_BYTES) {
        skipped.push({ file, reason: `larger than ${MAX_JSON_BYTES / 1048576} MB` });
        continue;
      }
      let data: unknown;
      try {
        // Big artifacts (mapped.json with every weight) announce their format in the first bytes: skip them unparsed.
        const head = readRegularFilePrefix(path, { what: 'file', maxBytes: MAX_JSON_BYTES }, 512).bytes.toString('utf8');
        const tag = /^\s*\{\s*"format"\s*:\s*"([^"]{1,64})"/.exec(head)?.[1];
        if (tag !== undefined && !wanted(tag)) {
          skipped.push({ file, reason: `format '${tag}' is not part of reports` });
          continue;
        }
        data = readJsonFile(path, { what: 'file', maxBytes: MAX_JSON_BYTES });
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        skipped.push({ file, reason: e.message.replace(/^file '[^']*':? ?/, '') });
        continue;
      }
      if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        skipped.push({ file, reason: 'not a JSON object' });
        continue;
      }
      const format = typeof (data as { format?: unknown }).format === 'string' ? (data as { format: string }).format : sniffFormat(data);
      inputs.push({ file, format, data });
    }
  };
  walk(dir, 0);
  return { inputs, skipped };
}

/** Tag of compile summaries (`snnc compile` writes summary.json without a format field; compare tags it). */
export const COMPILE_SUMMARY_TAG = 'snnc-compile-summary';

/** Recognises untagged snnc outputs by their fields. */
function sniffFormat(data: object): string {
  const d = data as Record<string, unknown>;
  if (typeof d.coresUsed === 'number' && typeof d.coresAvailable === 'number' && Array.isArray(d.layers) && typeof d.target === 'string') return COMPILE_SUMMARY_TAG;
  return 'unknown';
}

/** Renders sections as one self-contained HTML page. */
export function renderHtml(title: string, subtitle: string, sections: ReportSection[], footer: string): string {
  const html: HtmlSection[] = sections.map((s) => ({
    id: s.id,
    title: s.title,
    html: [
      s.charts.length ? chartRow(s.charts) : '',
      ...s.tables.map((t) => `<h3>${escapeXml(t.caption)}</h3>${htmlTable(t.head, t.rows)}`),
      ...s.notes.map((n) => `<p class="note">${escapeXml(n)}</p>`),
    ].join(''),
  }));
  return htmlPage(title, subtitle, html, footer);
}

/** Renders sections as a Markdown summary (tables and notes; charts live in the HTML page). */
export function renderMarkdown(title: string, subtitle: string, sections: ReportSection[]): string {
  // Every text from the inputs goes through markdownText (tables do it per cell): names may hold HTML.
  const line = (s: string) => markdownText(s).replace(/\r?\n/g, ' ');
  const parts = [`# ${line(title)}`, '', line(subtitle), ''];
  for (const s of sections) {
    parts.push(`## ${line(s.title)}`, '');
    for (const t of s.tables) {
      parts.push(`**${line(t.caption)}**`, '', markdownTable(t.head, t.rows, t.align ?? t.head.map((_, i) => (i === 0 ? 'l' : 'r'))), '');
    }
    for (const n of s.notes) parts.push(`> ${line(n)}`, '');
  }
  return `${parts.join('\n').trimEnd()}\n`;
}
