/**
 * The documentation holds together: every relative link in README.md and docs/*.md points at a
 * file that exists (and at a heading that exists, for `#anchor` links into Markdown), the README
 * stays a one-sitting read, no line is padded past 120 characters, and each docs page opens with a
 * paragraph saying what it covers. Failures list every broken link at once, by file.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const docsDir = path.join(root, 'docs');
const pages = [
  path.join(root, 'README.md'),
  ...readdirSync(docsDir)
    .filter((file) => file.endsWith('.md'))
    .map((file) => path.join(docsDir, file)),
];
const relative = (file: string) => path.relative(root, file);

/** The text outside fenced code blocks and inline code, where links are links. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors: lower-case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const slug = (match[1] ?? '')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Relative link targets (`[text](target)`, images too), external URLs left out. */
function linksOf(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((match) => match[1] ?? '')
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

it('every relative link in README.md and docs/*.md resolves to a file (and heading)', () => {
  const broken: string[] = [];
  for (const page of pages) {
    for (const target of linksOf(readFileSync(page, 'utf8'))) {
      const [filePart = '', anchor] = target.split('#');
      const file = filePart === '' ? page : path.resolve(path.dirname(page), filePart);
      if (!existsSync(file)) {
        broken.push(`${relative(page)} → ${target}: ${relative(file)} does not exist`);
      } else if (anchor && file.endsWith('.md') && statSync(file).isFile()) {
        if (!anchorsOf(readFileSync(file, 'utf8')).has(anchor)) {
          broken.push(`${relative(page)} → ${target}: no heading #${anchor} in ${relative(file)}`);
        }
      }
    }
  }
  expect([...new Set(broken)]).toEqual([]);
});

it('the README is at most 250 lines', () => {
  const lines = readFileSync(path.join(root, 'README.md'), 'utf8').trimEnd().split('\n');
  expect(lines.length).toBeLessThanOrEqual(250);
});

it('no line of README.md or docs/*.md is longer than 120 characters', () => {
  const long = pages.flatMap((page) =>
    readFileSync(page, 'utf8')
      .split('\n')
      .map((line, index) => ({ line, index }))
      .filter(({ line }) => [...line].length > 120)
      .map(({ line, index }) => `${relative(page)}:${index + 1} (${[...line].length} characters)`),
  );
  expect(long).toEqual([]);
});

it('each docs page starts with a title and a paragraph of what it covers', () => {
  const bad = pages
    .filter((page) => path.dirname(page) === docsDir)
    .filter((page) => {
      const [title = '', ...rest] = readFileSync(page, 'utf8').split('\n');
      const first = rest.find((line) => line.trim() !== '') ?? '';
      return !/^# \S/.test(title) || !/^[A-Za-z[`*_]/.test(first);
    })
    .map(relative);
  expect(bad).toEqual([]);
});

it('the README shows every workflow type and task queue and maps every src/ folder', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const workflows = [
    ...readFileSync(path.join(root, 'src', 'workflows', 'index.ts'), 'utf8').matchAll(
      /export \{ (\w+) \}/g,
    ),
  ].map((match) => match[1] ?? '');
  expect(workflows.length).toBeGreaterThanOrEqual(5);
  const queues = [
    ...readFileSync(path.join(root, 'src', 'shared', 'constants.ts'), 'utf8').matchAll(
      /_TASK_QUEUE = '([^']+)'/g,
    ),
  ].map((match) => match[1] ?? '');
  expect(queues.length).toBeGreaterThanOrEqual(3);
  const folders = readdirSync(path.join(root, 'src'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `src/${entry.name}/`);
  const missing = [...workflows, ...queues, ...folders].filter((name) => !readme.includes(name));
  expect(missing).toEqual([]);
});
