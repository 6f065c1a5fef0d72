// Reading the workspace a session works in: files and directories, name and text search, and what
// changed (per turn, or in git).
import { ApiCaller, CallOptions } from './api-call';
import { OpencodeServerError } from './errors';
import { isArray, isObject } from './response-checks';
import type { FileContent, FileNode, SnapshotFileDiff, TextMatch, VcsFileDiff, VcsFileStatus, VcsInfo } from './types';

export class WorkspaceCalls {
  constructor(private readonly api: ApiCaller) {}

  // ---- diffs and VCS --------------------------------------------------------------------------

  async sessionDiff(sessionId: string, messageId: string, opts?: CallOptions): Promise<SnapshotFileDiff[]> {
    return this.api.call(
      'get',
      '/session/{sessionID}/diff',
      { path: { sessionID: sessionId }, query: { messageID: messageId }, check: isArray, shape: 'FileDiff[]' },
      opts,
    );
  }

  async vcsDiff(query: { mode?: 'git' | 'branch'; context?: number }, opts?: CallOptions): Promise<VcsFileDiff[]> {
    return this.api.call(
      'get',
      '/vcs/diff',
      { query: { mode: query.mode ?? 'git', context: query.context }, check: isArray, shape: 'VcsFileDiff[]' },
      opts,
    );
  }

  async vcsStatus(opts?: CallOptions): Promise<VcsFileStatus[]> {
    return this.api.call('get', '/vcs/status', { check: isArray, shape: 'VcsFileStatus[]' }, opts);
  }

  async vcsInfo(opts?: CallOptions): Promise<VcsInfo> {
    return this.api.call('get', '/vcs', { check: isObject, shape: 'VcsInfo' }, opts);
  }

  // ---- files ----------------------------------------------------------------------------------

  async readFile(path: string, opts?: CallOptions): Promise<FileContent> {
    return this.api.call('get', '/file/content', { query: { path }, check: isObject, shape: 'FileContent' }, opts);
  }

  async listDirectory(path: string, opts?: CallOptions): Promise<FileNode[]> {
    return this.api.call('get', '/file', { query: { path }, check: isArray, shape: 'FileNode[]' }, opts);
  }

  /**
   * `/file/content` reads a missing file as empty, so existence comes from a listing of the parent.
   * The server answers 500 both for a missing parent and for a path outside the directory: missing.
   */
  async stat(path: string, opts?: CallOptions): Promise<FileNode | undefined> {
    const clean = path.replace(/\/+$/, '').replace(/^(\.\/)+/, '');
    if (clean === '' || clean === '.') {
      throw new TypeError('stat() needs a path inside the directory; use directoryExists() for the root');
    }
    const slash = clean.lastIndexOf('/');
    const parent = slash < 0 ? '.' : slash === 0 ? '/' : clean.slice(0, slash);
    const name = clean.slice(slash + 1);
    try {
      const entries = await this.listDirectory(parent, opts);
      return entries.find((e) => e.name === name);
    } catch (err) {
      if (err instanceof OpencodeServerError) return undefined;
      throw err;
    }
  }

  async fileExists(path: string, opts?: CallOptions): Promise<boolean> {
    return (await this.stat(path, opts)) !== undefined;
  }

  async findFiles(
    query: string,
    options: { type?: 'file' | 'directory'; limit?: number },
    opts?: CallOptions,
  ): Promise<string[]> {
    return this.api.call(
      'get',
      '/find/file',
      { query: { query, type: options.type, limit: options.limit }, check: isArray, shape: 'string[]' },
      opts,
    );
  }

  async searchText(pattern: string, opts?: CallOptions): Promise<TextMatch[]> {
    return this.api.call('get', '/find', { query: { pattern }, check: isArray, shape: 'match[]' }, opts);
  }

  /** `GET /file?path=.&directory=D`: 200 for a directory, 500 for a missing path or a file. */
  async directoryExists(directory: string | undefined, opts?: CallOptions): Promise<boolean> {
    const dir = directory ?? opts?.directory ?? this.api.directory;
    if (!dir) throw new TypeError('directoryExists() needs a directory');
    try {
      await this.listDirectory('.', { ...opts, directory: dir });
      return true;
    } catch (err) {
      if (err instanceof OpencodeServerError) return false;
      throw err;
    }
  }
}
