// Lint rule: an expectation rests on documents of a release that has the case's function. A profile's documents may
// say which release they describe and which functions they document (FreeBSD's mlock(2) copy is 5.4's, its
// aio_mlock(2) is 10.0's, the release aio_mlock first appeared in). A clause from an older release than the
// function's first may still be cited, but only as an inference (`basis: inferred`, with the reason saying that
// the older sentence is assumed to hold), never as the document's word: the older page did not know the function.
import { allCases, type Catalog } from '../catalog.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Profile } from '../schema.js';

/** Compare release numbers component by component: 5.4 < 10.0. */
export function compareReleases(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The first release of `profile` whose documents document `fn`, if its documents say. */
function firstRelease(profile: Profile, fn: string): string | undefined {
  const releases = profile.documents.flatMap((d) => (d.release !== undefined && d.functions?.includes(fn) === true ? [d.release] : []));
  return releases.sort(compareReleases)[0];
}

export const expectationsRestOnTheFunctionsRelease = (catalog: Catalog): Diagnostic[] => {
  const profiles = new Map(catalog.profiles.map((p) => [p.value.id, p.value]));
  return allCases(catalog).flatMap((ref) =>
    Object.entries(ref.case.expect).flatMap(([id, e]) => {
      const profile = profiles.get(id);
      if (profile === undefined || typeof e === 'string' || 'unspecified' in e) return [];
      if ('basis' in e && e.basis === 'inferred') return [];
      const since = firstRelease(profile, ref.spec.value.function);
      if (since === undefined) return [];
      const documents = new Map(profile.documents.map((d) => [d.id, d]));
      const clauses = new Map(profile.clauses.map((c) => [c.id, c]));
      const cited = e.clause === undefined ? [] : Array.isArray(e.clause) ? e.clause : [e.clause];
      return cited.flatMap((cid) => {
        const doc = documents.get(clauses.get(cid)?.document ?? '');
        if (doc?.release === undefined || compareReleases(doc.release, since) >= 0) return [];
        return [
          ref.spec.source.at(
            ['cases', ref.index, 'expect', id, 'clause'],
            `clause "${cid}" comes from ${doc.id} (release ${doc.release}), older than ${ref.spec.value.function}() (first in release ${since}): cite it only with \`basis: inferred\` and a reason saying the older text is assumed to hold, or mark the expectation unspecified`,
          ),
        ];
      });
    }),
  );
};
