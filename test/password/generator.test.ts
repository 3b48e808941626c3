import * as fc from 'fast-check';
import {
  ALPHABET,
  DIGITS,
  IAM_SYMBOLS,
  LOWERCASE,
  PasswordPolicy,
  UPPERCASE,
  effectiveLength,
  entropyBits,
  generatePassword,
  policyViolations,
} from '../../lambda/password/generator';

const policyArbitrary: fc.Arbitrary<PasswordPolicy> = fc.record(
  {
    MinimumPasswordLength: fc.integer({ min: 6, max: 128 }),
    RequireSymbols: fc.boolean(),
    RequireNumbers: fc.boolean(),
    RequireUppercaseCharacters: fc.boolean(),
    RequireLowercaseCharacters: fc.boolean(),
  },
  { requiredKeys: [] },
);

describe('generatePassword', () => {
  test('every password satisfies its policy, at the effective length, from the allowed alphabet', () => {
    fc.assert(
      fc.property(policyArbitrary, fc.integer({ min: 6, max: 128 }), (policy, requested) => {
        const password = generatePassword(requested, policy);
        expect(password).toHaveLength(effectiveLength(requested, policy));
        expect(policyViolations(password, policy)).toEqual([]);
        for (const c of password) expect(ALPHABET).toContain(c);
      }),
      { numRuns: 500 },
    );
  });

  test('always contains all four classes, even when the policy requires none', () => {
    fc.assert(
      fc.property(fc.integer({ min: 6, max: 40 }), (length) => {
        const password = generatePassword(length, {});
        for (const set of [UPPERCASE, LOWERCASE, DIGITS, IAM_SYMBOLS]) {
          expect([...password].some((c) => set.includes(c))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('length is the requested length raised to the policy minimum and capped at 128', () => {
    expect(effectiveLength(24, {})).toBe(24);
    expect(effectiveLength(24, { MinimumPasswordLength: 40 })).toBe(40);
    expect(effectiveLength(128, { MinimumPasswordLength: 6 })).toBe(128);
    expect(effectiveLength(200, {})).toBe(128);
    expect(effectiveLength(1, {})).toBe(6);
    expect(generatePassword(24, { MinimumPasswordLength: 40 })).toHaveLength(40);
  });

  test('uses only the 20 symbols IAM counts', () => {
    expect(IAM_SYMBOLS).toHaveLength(20);
    expect(new Set(IAM_SYMBOLS).size).toBe(20);
    // Characters Secrets Manager's generator uses but IAM's RequireSymbols does not count.
    for (const c of '"~`<>,.?/:;\\') expect(ALPHABET).not.toContain(c);
  });

  test('characters are uniform within each class (chi-square, p < 1e-6)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2500; i++) {
      for (const c of generatePassword(64, {})) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    for (const set of [UPPERCASE, LOWERCASE, DIGITS, IAM_SYMBOLS]) {
      const observed = [...set].map((c) => counts.get(c) ?? 0);
      const total = observed.reduce((a, b) => a + b, 0);
      const expected = total / set.length;
      const chiSquare = observed.reduce((sum, o) => sum + (o - expected) ** 2 / expected, 0);
      expect(chiSquare).toBeLessThan(chiSquareCritical(set.length - 1));
    }
  });

  test('the draw is rejection-sampled: a biased source that never yields a digit is refused, not patched', () => {
    // GIVEN a random source that only returns indexes of letters
    const lettersOnly = (max: number) => {
      void max;
      return 0;
    };
    // WHEN / THEN the bounded loop gives up with a message that names no password
    expect(() => generatePassword(24, {}, lettersOnly)).toThrow(
      'could not generate a compliant password of length 24 in 1000 attempts',
    );
  });

  test('default length has at least 140 bits of entropy', () => {
    expect(entropyBits(24)).toBeGreaterThanOrEqual(140);
    // Inclusion-exclusion never exceeds the unconstrained bound.
    expect(entropyBits(24)).toBeLessThan(24 * Math.log2(ALPHABET.length));
  });
});

describe('policyViolations', () => {
  const strict: PasswordPolicy = {
    MinimumPasswordLength: 12,
    RequireSymbols: true,
    RequireNumbers: true,
    RequireUppercaseCharacters: true,
    RequireLowercaseCharacters: true,
  };

  test.each([
    ['Short1!a', 'MinimumPasswordLength (12)'],
    ['NoSymbolsHere123', 'RequireSymbols'],
    ['NoNumbersHere!!!', 'RequireNumbers'],
    ['lowercase-only-1!', 'RequireUppercaseCharacters'],
    ['UPPERCASE-ONLY-1!', 'RequireLowercaseCharacters'],
    ['Tilde~Is~Not~1Symbol', 'RequireSymbols'],
  ])('reports what %s breaks, by rule name', (password, rule) => {
    const violations = policyViolations(password, strict);
    expect(violations).toContain(rule);
    expect(violations.join(' ')).not.toContain(password);
  });

  test('accepts a compliant password', () => {
    expect(policyViolations("Abcdefgh1234'", strict)).toEqual([]);
  });
});

/** Chi-square critical value for `df` degrees of freedom at p = 1e-6 (Wilson-Hilferty). */
function chiSquareCritical(df: number): number {
  const z = 4.753; // one-sided normal quantile for 1e-6
  return df * Math.pow(1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df)), 3);
}
