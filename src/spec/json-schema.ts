// JSON Schemas for editors (yaml-language-server) generated from the zod schemas, so they cannot drift apart.
// `npm run schema` rewrites schema/*.json; a test fails when the committed files are stale.
//
// The editor's spec schema is stricter than the zod one where the allowed names are data, not types: the profile
// ids under `expect:` are the profiles of the specs directory (so a typo `hpxu` is flagged, and a missing profile
// too, as lint does), and a call must name an allowlisted function. Loading keeps the zod schema (any profile id,
// any call text) and lint checks those names, with positions and did-you-mean.
import * as z from 'zod';
import { readCatalog } from './catalog.js';
import { CALLABLE_NAMES, STEP_BUILTINS } from './functions.js';
import { expectedText } from './messages.js';
import { Case, CallText, DeclaredStep, Profile, ProfileExpectation, SpecFile } from './schema.js';

/** A call is `name(args)`: anchored on the function name, which must be one of the allowlist; the arguments are
 * lint's to check (src/spec/call.ts). */
export const CALL_PATTERN = new RegExp(`^\\s*(${CALLABLE_NAMES.join('|')})\\s*\\(`);

const EditorCall = CallText.regex(CALL_PATTERN);

/** A step may also be a builtin (touch), never the call under test. */
export const STEP_PATTERN = new RegExp(`^\\s*(${[...CALLABLE_NAMES, ...Object.keys(STEP_BUILTINS)].join('|')})\\s*\\(`);
const EditorStepCall = CallText.regex(STEP_PATTERN);

const editorSteps = (description: string) =>
  z
    .array(z.union([EditorStepCall.meta({ title: 'a call that must succeed' }), DeclaredStep.safeExtend({ call: EditorStepCall }).meta({ title: 'a call with its declared outcome' })]))
    .optional()
    .describe(description);

/** The spec file schema with the profile ids of a specs directory as the keys of `expect:`. */
export function editorSpecFile(profileIds: readonly string[]): z.ZodType {
  const expect = z
    .strictObject(Object.fromEntries(profileIds.map((id) => [id, ProfileExpectation])))
    .describe(`one expectation per profile: ${profileIds.join(', ')}`);
  const EditorCase = Case.extend({
    call: EditorCall.describe(`the call under test, e.g. "mlock(buf, 1p)"; one of ${CALLABLE_NAMES.join(', ')}`),
    before: editorSteps('setup steps, in order: a call text must succeed; `{ call, fails }` or `{ call, returns }` must end as declared; else the case is an error; touch(addr, len) writes zeros to writable pages of the case'),
    after: editorSteps('steps after the call under test, before its effects are observed: the same forms as `before`'),
    expect,
  });
  return SpecFile.extend({ cases: z.array(EditorCase).min(1) }).meta(SpecFile.meta() ?? {});
}

export function schemaFiles(profileIds: readonly string[]): { 'spec.schema.json': z.ZodType; 'profile.schema.json': z.ZodType } {
  return { 'spec.schema.json': editorSpecFile(profileIds), 'profile.schema.json': Profile };
}

/** The profile ids of a specs directory, sorted (the order of the files). */
export function profileIdsIn(specsDir: string): string[] {
  return readCatalog(specsDir).profiles.map((p) => p.value.id);
}

/** yaml-language-server shows, on hover, each alternative's title joined by " || ", and an alternative without a
 * title of its own shows the nearest ancestor's: the root's "semconf spec file", once per alternative. So every
 * alternative gets its own title: what it accepts, in the words lint's messages use. */
function titleAlternatives(ctx: { zodSchema: z.core.$ZodTypes; jsonSchema: z.core.JSONSchema.BaseSchema }): void {
  const def = ctx.zodSchema._zod.def;
  if (def.type !== 'union' || !Array.isArray(ctx.jsonSchema.anyOf)) return;
  def.options.forEach((option, i) => {
    const branch = ctx.jsonSchema.anyOf?.[i];
    if (branch !== undefined && typeof branch === 'object' && branch.title === undefined) branch.title = expectedText(option);
  });
}

export function renderJsonSchema(schema: z.ZodType): string {
  return `${JSON.stringify(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', override: titleAlternatives }), null, 2)}\n`;
}
