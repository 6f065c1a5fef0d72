/**
 * OpenCode 1.18.34 has no route that writes a file, so bootstrap writes its files with one shell
 * command in a throw-away session (`OpencodeClient.runCommand`, the way command checks run). The
 * command is built here. Contents travel base64-encoded; paths (relative, no `..`, no line breaks —
 * the DTO sees to that) are single-quoted.
 *
 * Without `force`, nothing is written when any file exists: the script exits {@link EXIT_EXISTS}
 * and prints `exists: <path>` lines; writes then use `set -C` (noclobber), so a file created in
 * between is not overwritten either. With `force`, each file goes to a temporary name first and is
 * moved into place.
 */
export const EXIT_EXISTS = 17;

export interface FileToWrite {
  path: string;
  content: string;
}

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function writeFilesScript(files: readonly FileToWrite[], force: boolean): string {
  const lines = ['set -e', 'umask 022'];
  if (!force) {
    lines.push('__found=0');
    for (const f of files) {
      lines.push(`if [ -e ${shellQuote(f.path)} ]; then echo "exists: "${shellQuote(f.path)}; __found=1; fi`);
    }
    lines.push(`if [ "$__found" = 1 ]; then exit ${EXIT_EXISTS}; fi`, 'set -C');
  }
  files.forEach((f, i) => {
    const path = shellQuote(f.path);
    const data = Buffer.from(f.content, 'utf8').toString('base64');
    lines.push(`mkdir -p -- "$(dirname -- ${path})"`);
    if (force) {
      const tmp = `"$(dirname -- ${path})/.heddle-plan-$$-${i}.tmp"`;
      lines.push(`printf '%s' '${data}' | base64 -d > ${tmp}`, `mv -f -- ${tmp} ${path}`);
    } else {
      lines.push(`printf '%s' '${data}' | base64 -d > ${path}`);
    }
  });
  return `${lines.join('\n')}\n`;
}

/** The paths an {@link EXIT_EXISTS} run reported. */
export function existingFromOutput(output: string): string[] {
  return [...output.matchAll(/^exists: (.*)$/gm)].map((m) => m[1]!);
}
