// The did-you-mean threshold (src/spec/did-you-mean.ts): pure, so tested directly on names the specs use.
import { describe, expect, it } from 'vitest';
import { didYouMean, nearestNames, unknownName } from '../src/spec/did-you-mean.js';
import { ERRNO_NAMES } from '../src/spec/errno-names.js';

const PROFILES = ['freebsd', 'hpux', 'illumos', 'linux', 'posix', 'qnx'];

describe('did you mean', () => {
  it('offers the name a typo (a swap, a dropped or an extra letter) came from', () => {
    expect(nearestNames('hpxu', PROFILES)).toEqual(['hpux']);
    expect(nearestNames('linuks', PROFILES)).toEqual(['linux']);
    expect(nearestNames('bfu', ['buf', 'guard'])).toEqual(['buf']);
    expect(nearestNames('ENOMEN', ERRNO_NAMES)).toEqual(['ENOMEM']);
    expect(nearestNames('einval', ERRNO_NAMES)).toEqual(['EINVAL']);
  });

  it('offers nothing when no name is near: a different word is not a typo', () => {
    expect(nearestNames('gamma', ['alpha', 'beta'])).toEqual([]);
    expect(nearestNames('windows', PROFILES)).toEqual([]);
    expect(nearestNames('x', ['r', 'rw'])).toEqual([]);
    expect(didYouMean('solaris', PROFILES)).toBe('');
  });

  it('keeps ties, at most three', () => {
    expect(nearestNames('rx', ['rw', 'r', 'none', 'hole'])).toEqual(['rw', 'r']);
  });

  it('one form for every unknown name; a long list is counted, not spelled out', () => {
    expect(unknownName('profile', 'hpxu', PROFILES)).toBe('unknown profile "hpxu" (did you mean "hpux"?); expected one of freebsd, hpux, illumos, linux, posix, qnx');
    expect(unknownName('errno name', 'ENOSPACE', ERRNO_NAMES)).toBe(`unknown errno name "ENOSPACE" (did you mean "ENOSPC"?); expected one of the ${ERRNO_NAMES.length} errno names (listed in schema/spec.schema.json)`);
  });
});
