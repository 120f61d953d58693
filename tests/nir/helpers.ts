/** The real NIR files of ../shared/nir (CI keeps shared/ beside the clone); tests skip when the folder is absent. */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const NIR_DIR = resolve('../shared/nir');
export const nirPresent = existsSync(join(NIR_DIR, 'README.md'));

/** Every .nir file of the folder, relative to it, sorted. */
export function nirFiles(): string[] {
  if (!nirPresent) return [];
  return (readdirSync(NIR_DIR, { recursive: true }) as string[]).filter((f) => f.endsWith('.nir')).sort();
}

export const nirPath = (file: string) => join(NIR_DIR, file);
