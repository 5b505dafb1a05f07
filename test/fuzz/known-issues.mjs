// Failures the fuzzer finds in code other helpers own and are still changing: reported on
// every run as "known" (with the owner), not counted as failures, so that the seeded pass in
// npm test stays meaningful. Remove an entry once its owner fixes it: the fuzzer then fails
// if the bug comes back. Each has a reproducer in test/fuzz/regressions/.

export const KNOWN_ISSUES = [];

/** The known issue a failure matches, or null. */
export function knownIssue(failure) {
  const text = `${failure.type}: ${failure.message}`;
  return KNOWN_ISSUES.find((k) => k.match.test(text)) ?? null;
}
