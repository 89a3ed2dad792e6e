import { expect, test } from 'vitest';

test('public API is exactly this list', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "DEFAULT_MIN_SIZE",
      "PRESETS",
      "REGEX_KEY_PREFIX",
      "defaultAxes",
      "describeSpec",
      "getPreset",
      "listPresets",
      "opKindOf",
      "parseConfig",
      "parseSpec",
      "quantRange",
      "resolveBlockShape",
      "resolveGranularityAxes",
      "resolveTensorSpec",
      "serializeConfig",
      "serializeSpec",
      "specKey",
      "validateConfig",
      "validateSpec",
    ]
  `);
});
