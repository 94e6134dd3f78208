/** Ratios as the bench's texts write them: `1.34x`, and a list's span `1.26x-1.41x`. */
export const ratioText = (v: number): string => `${v.toFixed(2)}x`;
export const ratioRange = (xs: readonly number[]): string => `${ratioText(Math.min(...xs))}-${ratioText(Math.max(...xs))}`;
