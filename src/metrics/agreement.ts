/**
 * The fraction of the first `n` entries on which `a` and `b` agree: accuracy when `b` holds the labels, agreement
 * between two models' predictions when both hold predicted classes.
 */
export function agreementRate(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  let same = 0;
  for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
  return same / n;
}
