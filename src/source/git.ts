/**
 * Git through the system `git` (execFile, exit codes checked: simple-git's
 * raw() hides a failing verify). One bare mirror per source; fetches are
 * shallow; each commit's tree is exported once into its own folder, which
 * is what manifests are loaded from. Credentials go through the
 * environment (GIT_SSH_COMMAND, GIT_CONFIG_* for a bearer header), never
 * the command line, never logs.
 */
import { SetpointError } from '../errors.js';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { GitConfig, VerifyConfig } from './config.js';

export interface CommitInfo {
  sha: string;
  author: string;
  committer: string;
  /** ISO time the commit was made (committer date). */
  committedAt: string;
  message: string;
}

export class GitError extends SetpointError {
  declare readonly hint: string;
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, 'SETPOINT_GIT_FAILED', { hint, cause });
  }
}

interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export class GitRepository {
  private readonly mirror: string;

  constructor(
    /** Folder for this source's mirror and exported trees (in the state folder). */
    private readonly dir: string,
    private readonly config: GitConfig,
    /** Folder relative URLs and key paths resolve against (the project root). */
    private readonly root: string,
    /** Resolves the token secretRef, when there is one. */
    private readonly token?: () => Promise<string>,
  ) {
    this.mirror = join(dir, 'repo.git');
  }

  /** The remote as git sees it: relative local paths are made absolute. */
  private get url(): string {
    const u = this.config.url;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(u) || /^[^/]+@[^:]+:/.test(u)) return u;
    return isAbsolute(u) ? u : resolve(this.root, u);
  }

  private async env(): Promise<NodeJS.ProcessEnv> {
    const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
    if (this.config.sshKey) {
      const key = isAbsolute(this.config.sshKey)
        ? this.config.sshKey
        : resolve(this.root, this.config.sshKey);
      env.GIT_SSH_COMMAND = `ssh -i '${key.replace(/'/g, "'\\''")}' -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new`;
    }
    if (this.token) {
      env.GIT_CONFIG_COUNT = '1';
      env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
      env.GIT_CONFIG_VALUE_0 = `Authorization: Bearer ${await this.token()}`;
    }
    return env;
  }

  private run(
    args: string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
  ): Promise<RunResult> {
    return new Promise((done) => {
      execFile(
        'git',
        args,
        {
          cwd: options.cwd,
          env: options.env ?? { ...process.env, LC_ALL: 'C' },
          timeout: options.timeoutMs ?? 120_000,
          maxBuffer: 64 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          const code = err
            ? typeof (err as { code?: unknown }).code === 'number'
              ? (err as { code: number }).code
              : 1
            : 0;
          done({ stdout: String(stdout), stderr: String(stderr), code });
        },
      );
    });
  }

  private async must(
    args: string[],
    what: string,
    options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<string> {
    const r = await this.run(args, options);
    if (r.code !== 0)
      throw new GitError(
        `${what} failed: ${firstLine(r.stderr) || `git exited ${r.code}`}`,
        hintFor(r.stderr, this.config.url),
      );
    return r.stdout;
  }

  /** Fetches the ref (shallow) and returns the commit it points at. */
  async fetch(): Promise<CommitInfo> {
    mkdirSync(this.dir, { recursive: true });
    if (!existsSync(join(this.mirror, 'HEAD')))
      await this.must(['init', '--bare', '--quiet', this.mirror], 'git init');
    const env = await this.env();
    const ref = this.config.ref ?? 'main';
    // A branch or a tag: fetch whichever exists into a private ref.
    const local = `refs/setpoint/${ref.replace(/^refs\/(heads|tags)\//, '')}`;
    let fetched = await this.run(
      [
        '--git-dir',
        this.mirror,
        'fetch',
        '--quiet',
        '--depth',
        '1',
        '--no-tags',
        this.url,
        `+${ref.startsWith('refs/') ? ref : `refs/heads/${ref}`}:${local}`,
      ],
      { env },
    );
    if (fetched.code !== 0 && !ref.startsWith('refs/'))
      fetched = await this.run(
        [
          '--git-dir',
          this.mirror,
          'fetch',
          '--quiet',
          '--depth',
          '1',
          '--no-tags',
          this.url,
          `+refs/tags/${ref}:${local}`,
        ],
        { env },
      );
    if (fetched.code !== 0)
      throw new GitError(
        `cannot fetch ${ref} from ${this.config.url}: ${firstLine(fetched.stderr)}`,
        hintFor(fetched.stderr, this.config.url),
      );
    const sha = (
      await this.must(['--git-dir', this.mirror, 'rev-parse', `${local}^{commit}`], 'git rev-parse')
    ).trim();
    return this.commit(sha);
  }

  async commit(sha: string): Promise<CommitInfo> {
    const out = await this.must(
      ['--git-dir', this.mirror, 'show', '-s', '--format=%H%x00%an <%ae>%x00%cn <%ce>%x00%cI%x00%B', sha],
      'git show',
    );
    const [full, author, committer, date, ...message] = out.split('\0');
    return {
      sha: full.trim(),
      author,
      committer,
      committedAt: new Date(date).toISOString(),
      message: message.join('\0').trim(),
    };
  }

  /** Whether the mirror still has this commit (earlier fetches keep their objects). */
  async has(sha: string): Promise<boolean> {
    return (await this.run(['--git-dir', this.mirror, 'cat-file', '-e', `${sha}^{commit}`])).code === 0;
  }

  /** The commit's tree as a folder (exported once, atomically); the manifests folder inside it. */
  async checkout(sha: string): Promise<string> {
    const trees = join(this.dir, 'trees');
    const dest = join(trees, sha);
    if (!existsSync(dest)) {
      mkdirSync(trees, { recursive: true });
      const tmp = mkdtempSync(join(trees, '.tmp-'));
      const index = join(tmp, '.index');
      await this.must(['--git-dir', this.mirror, '--work-tree', tmp, 'read-tree', sha], 'git read-tree', {
        env: { ...process.env, GIT_INDEX_FILE: index },
      });
      await this.must(
        ['--git-dir', this.mirror, '--work-tree', tmp, 'checkout-index', '--all', '--force'],
        'git checkout-index',
        { env: { ...process.env, GIT_INDEX_FILE: index } },
      );
      rmSync(index, { force: true });
      try {
        renameSync(tmp, dest);
      } catch {
        rmSync(tmp, { recursive: true, force: true }); // another process exported it first
      }
      this.prune(trees, 20);
    }
    const folder = this.config.path ? join(dest, this.config.path) : dest;
    if (!existsSync(folder) || !statSync(folder).isDirectory())
      throw new GitError(
        `the repository has no folder ${this.config.path} at ${sha.slice(0, 12)}`,
        'check git.path in setpoint.yaml',
      );
    return folder;
  }

  /** Keeps the newest `keep` exported trees. */
  private prune(trees: string, keep: number): void {
    const entries = readdirSync(trees)
      .filter((n) => !n.startsWith('.'))
      .map((n) => ({ n, t: statSync(join(trees, n)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const e of entries.slice(keep)) rmSync(join(trees, e.n), { recursive: true, force: true });
  }

  /**
   * Checks the commit's signature with git: SSH signatures against an
   * allowed-signers file, GPG ones against an exported keyring. Only %G?
   * = "G" (good, known signer) passes: N unsigned, U unknown key, B bad.
   */
  async verify(sha: string, verify: VerifyConfig): Promise<{ ok: boolean; detail: string }> {
    const args = ['--git-dir', this.mirror];
    const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C' };
    let home: string | undefined;
    if (verify.allowedSigners) {
      args.push(
        '-c',
        'gpg.format=ssh',
        '-c',
        `gpg.ssh.allowedSignersFile=${resolve(this.root, verify.allowedSigners)}`,
      );
    } else if (verify.keyring) {
      home = mkdtempSync(join(dirname(this.mirror), '.gnupg-'));
      env.GNUPGHOME = home;
      await new Promise<void>((done) =>
        execFile(
          'gpg',
          ['--batch', '--quiet', '--import', resolve(this.root, verify.keyring!)],
          { env },
          () => done(),
        ),
      );
      // Trust every imported key fully: the keyring file is the trust decision.
      await new Promise<void>((done) =>
        execFile(
          'sh',
          [
            '-c',
            'gpg --batch --with-colons --list-keys | awk -F: \'/^fpr:/ {print $10":6:"}\' | gpg --batch --import-ownertrust',
          ],
          { env },
          () => done(),
        ),
      );
    } else {
      return { ok: false, detail: 'no Git verification configured' };
    }
    try {
      const r = await this.run([...args, 'log', '-1', '--format=%G?%x00%GS%x00%GK', sha], { env });
      const [status, signer, key] = r.stdout.trim().split('\0');
      const meaning: Record<string, string> = {
        G: 'good signature',
        N: 'not signed',
        U: 'signed by a key that is not trusted',
        B: 'bad signature (the commit was changed after signing)',
        X: 'expired signature',
        Y: 'signed by an expired key',
        R: 'signed by a revoked key',
        E: 'signature cannot be checked',
      };
      const detail = `${meaning[status] ?? `signature status ${status || 'unknown'}`}${signer ? ` (${signer}${key ? `, key ${key}` : ''})` : ''}`;
      return { ok: status === 'G', detail };
    } finally {
      if (home) rmSync(home, { recursive: true, force: true });
    }
  }
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim()) ?? '';
}

function hintFor(stderr: string, url: string): string {
  if (/could not read Username|Authentication failed|Permission denied|403/.test(stderr))
    return `check the credentials for ${url} (git.sshKey or git.token)`;
  if (/couldn't find remote ref|not our ref/.test(stderr)) return 'check git.ref: no such branch or tag';
  if (/does not appear to be a git repository|not found|No such file/.test(stderr))
    return `check git.url: ${url}`;
  return 'run the same fetch with git by hand to see why';
}
