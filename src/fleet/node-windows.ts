/**
 * The change windows an agent enforces: the ones the server says select its
 * node. Kept on disk so a restarted agent enforces them while the server is
 * away; replaced when the server sends others.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { evaluateWindows, windowSubject, type WindowGate, type WindowSpec } from '../windows/index.js';

export class NodeWindowGate implements WindowGate {
  private windows: WindowSpec[] = [];

  constructor(private readonly file: string) {
    if (existsSync(file)) this.windows = JSON.parse(readFileSync(file, 'utf8')) as WindowSpec[];
  }

  get names(): string[] {
    return this.windows.map((w) => w.name);
  }

  check(...[resource, now]: Parameters<WindowGate['check']>): ReturnType<WindowGate['check']> {
    if (this.windows.length === 0) return { blocked: false };
    return evaluateWindows(this.windows, windowSubject(resource), now);
  }

  /** Takes the server's windows; true when they differ from the ones in force. */
  update(windows: WindowSpec[]): boolean {
    if (JSON.stringify(windows) === JSON.stringify(this.windows)) return false;
    const tmp = this.file + '.tmp';
    writeFileSync(tmp, JSON.stringify(windows));
    renameSync(tmp, this.file);
    this.windows = windows;
    return true;
  }
}
