// The Markdown report and the escaping every report relies on. Real results files, plus the constructed hostile one.
import { describe, expect, it } from 'vitest';
import { asMatrix, merge } from '../src/merge.js';
import { escapeHtml, escapeXml, jsonForScript, mdCode, mdText } from '../src/report/escape.js';
import { renderMarkdown } from '../src/report/markdown.js';
import type { Results } from '../src/results.js';
import { fixture, load } from './report-fixtures.js';

const single = (r: Results, source = 'r.json') => asMatrix({ kind: 'results', results: r }, source);

/** Markdown with its code spans removed: what is left is what a renderer parses as inline HTML and Markdown. */
function outsideCodeSpans(md: string): string {
  return md.replace(/(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g, '');
}

describe('escaping', () => {
  it('escapes HTML text and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('embeds JSON that cannot end or open a script element, and reads back the same', () => {
    const value = { s: '</script><script>alert(1)</script><!-- \u2028 & >' };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('escapes XML and replaces characters XML 1.0 forbids', () => {
    // Control characters become their visible escapes (so a reader sees what was there); what XML 1.0 still forbids
    // (non-characters, lone surrogates) becomes U+FFFD.
    expect(escapeXml(`a<b>&"c'\u0000\u001b\uFFFE\uD800`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;\\x00\\x1b\uFFFD\uFFFD');
    expect(escapeXml('tab\tnewline\n😀')).toBe('tab\tnewline\n😀');
  });

  it('Markdown text: no tag, emphasis, link, table or code syntax survives', () => {
    expect(mdText('<b>*x* _y_ [l](u) a|b `c` ~d~ \\')).toBe('&lt;b&gt;\\*x\\* \\_y\\_ \\[l\\](u) a\\|b \\`c\\` \\~d\\~ \\\\');
    expect(mdText('two\n  lines')).toBe('two lines');
  });

  it('Markdown code spans hold any backtick run', () => {
    expect(mdCode('mlock(buf, 0)')).toBe('`mlock(buf, 0)`');
    expect(mdCode('a ``b`` c')).toBe('``` a ``b`` c ```');
    expect(mdCode('`x')).toBe('`` `x ``');
  });
});

describe('Markdown report of a real results file (native.json)', () => {
  const results = load('native.json');
  const md = renderMarkdown(single(results), { required: ['linux'] });

  it('opens with the target and a summary row per profile with the counts of the file', () => {
    expect(md.split('\n')[0]).toBe('# semconf report: linux-x86\\_64-glibc');
    for (const p of results.profiles) {
      const s = results.summary[p.id];
      expect(s).toBeDefined();
      if (s === undefined) continue;
      const row = md.split('\n').find((l) => l.startsWith(`| ${p.name} (${p.id})`));
      expect(row, p.id).toBeDefined();
      expect(row).toContain(`| ${s.conforms} | ${s.diverges} | ${s.inconclusive} | ${s.unspecified} |`);
    }
  });

  it('lists every divergence of the required profile, open, with expected, observed, why and each quoted clause', () => {
    const linux = md.slice(md.indexOf('## ❌ Linux (linux), required'), md.indexOf('\n## ', md.indexOf('## ❌ Linux') + 1));
    expect(linux).not.toContain('<details>');
    const diverging = results.cases.filter((c) => c.verdicts.linux?.verdict === 'diverges');
    expect(diverging.length).toBe(results.summary.linux?.diverges);
    for (const c of diverging) {
      const v = c.verdicts.linux;
      if (v === undefined) continue;
      expect(linux).toContain(`**${c.id}**`);
      expect(linux).toContain(`  - expected: ${mdText(v.expected)}`);
      expect(linux).toContain(`  - observed: ${mdText(v.observed ?? '')}`);
      for (const cl of v.clauses ?? []) expect(linux).toContain(`  - > ${mdText(cl.quote)}<br>— ${cl.document}, ${mdText(cl.section)}`);
    }
  });

  it('puts the profiles that are not required after it, folded: information only', () => {
    expect(md.indexOf('## ❌ Linux')).toBeLessThan(md.indexOf('## ℹ️ FreeBSD'));
    expect(md).toMatch(/## ℹ️ HP-UX \(hpux\): 9 diverge, 17 conform, 11 unspecified\n\n<details><summary>9 diverging case\(s\): information, not required<\/summary>/);
    expect(md).toContain('## ➖ illumos (illumos): 37 unspecified');
  });

  it('is short enough for a GitHub job summary (1 MiB) and far below it', () => {
    expect(Buffer.byteLength(md)).toBeLessThan(64 * 1024);
  });

  it('without --require says nothing is required and folds every profile', () => {
    const info = renderMarkdown(single(results));
    expect(info).toContain('No profile is required');
    expect(info).not.toContain('❌');
  });
});

describe('Markdown report of a matrix', () => {
  const matrix = merge(
    [
      { source: 'native.json', path: fixture('native.json'), results: load('native.json') },
      { source: 'gvisor.json', path: fixture('constructed-gvisor-relabelled.json'), results: load('constructed-gvisor-relabelled.json') },
    ],
    { createdAt: '2026-11-23T12:00:00.000Z', toolVersion: '0.0.0' },
  );
  const md = renderMarkdown(matrix, { required: ['linux'] });

  it('has a table of targets and the observation of each target under one divergence', () => {
    expect(md).toContain('# semconf report: 2 targets');
    expect(md).toContain('| linux-x86\\_64-glibc-gvisor | linux 4.4.0 | glibc 2.36 | x86\\_64 | gvisor | 37 | complete |');
    expect(md).toMatch(/\*\*mlock\.wrap-len-size-max\*\*[^\n]*\n {2}- expected: [^\n]*\n {2}- observed on linux-x86\\_64-glibc: [^\n]*\n {2}- observed on linux-x86\\_64-glibc-gvisor: /);
    expect(md).toContain('linux-x86\\_64-glibc-gvisor: probe residency not available');
  });
});

describe('Markdown report of the constructed hostile file', () => {
  const md = renderMarkdown(single(load('constructed-hostile.json')), { required: ['hpux'] });

  it('leaves no HTML tag outside code spans but its own', () => {
    const tags = outsideCodeSpans(md).match(/<\/?[a-z!][^>]*>/gi) ?? [];
    expect([...new Set(tags)].sort()).toEqual(['</details>', '</summary>', '<br>', '<details>', '<summary>']);
  });

  it('keeps every table row at its number of cells (pipes escaped)', () => {
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    const cells = (l: string): number => l.replace(/\\\|/g, '').split('|').length;
    for (const r of rows) expect(cells(r), r).toBe(cells(rows[0] ?? ''));
  });

  it('shows the hostile text as text', () => {
    expect(md).toContain('&lt;svg onload=alert(5)&gt;FreeBSD');
    expect(md).toContain('glibc "&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(md).toContain('  - why: expected fails EINVAL, observed returns 0 &lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt;');
    expect(md).toContain('`mlock(</script><script>alert(3)</script>, 0)`');
  });
});
