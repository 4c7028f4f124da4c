// Package drift measures how far current data has moved from a reference:
// the statistics, the reference profiles that stand in for the training
// data, and the Report that the CLI, the monitor runner and the renderers
// (package drift/render) share.
//
// # Flow
//
// BuildProfile summarizes a reference frame once (at registration: the
// training data of a model version) into a Profile, which marshals to
// deterministic JSON and is stored content-addressed. Compare takes that
// Profile and a current frame (a window of the prediction log, or a file)
// and returns a Report; CompareFrames does both steps for two frames in
// memory, keeping every reference value so its statistics are exact.
// SelectFeatures picks the columns worth comparing, leaving out identifiers
// and timestamps. ConfigFromMonitor turns a Monitor spec's tests into a
// Config.
//
// Prediction drift: add the model's output on the reference rows (a score, a
// value or a label) as a column and name it in ProfileOptions.Prediction;
// Compare then tests the same column of the current frame with
// Config.Prediction (default js) and reports it apart from the features.
//
// # Statistics
//
// Number features:
//
//   - PSI over the reference's quantile bins: Bins-1 cut points at the
//     reference's k/Bins quantiles (numpy's default "linear" quantiles),
//     duplicates merged, bins closed on the right (a value v is in bin
//     searchsorted(edges, v, side="left")). PSI = Σ (c−r)·ln(c/r) over the
//     bins' proportions (not densities, so bin width does not matter), each
//     floored at Epsilon = 1e-4 so an empty bin adds a large finite term.
//   - Jensen–Shannon divergence in bits over the same bins, within [0, 1]
//     (the square of scipy's jensenshannon(p, q, base=2), which is a
//     distance); no floor is needed.
//   - Two-sample Kolmogorov–Smirnov: the exact statistic sup|F_ref − F_cur|
//     and the two-sided p-value of scipy.stats.ks_2samp(method="asymp"),
//     which evaluates the one-sample KS distribution at n = round(n₁n₂/(n₁+n₂))
//     following Simard & L'Ecuyer. scipy's default method "auto" uses an
//     exact permutation count when both samples have at most 10,000 values,
//     so its p-values differ from ferry's there; the statistic does not.
//   - Wasserstein-1 distance ∫|F_ref − F_cur|, as
//     scipy.stats.wasserstein_distance, in the feature's units.
//
// KS and Wasserstein use the profile's sample of the reference: a seeded
// uniform sample of at most ProfileOptions.SampleSize values (every value
// when there are fewer, or when SampleSize is negative).
//
// Category features: PSI and Jensen–Shannon over the union of reference and
// current categories, and Pearson's chi-squared test of homogeneity on the
// 2×K table of counts (scipy's chi2_contingency without Yates' correction)
// with its p-value from the chi-squared distribution. Categories of the
// current data that the reference never saw are listed by name.
//
// # Tests and thresholds
//
// Each feature is decided by one test: psi (drift when PSI > threshold,
// default 0.2), js (> threshold, default 0.1), wasserstein (> threshold in
// the feature's units, default a tenth of the reference's standard
// deviation), ks or chi2 (drift when the p-value < threshold, default 0.01).
// ks on a category feature becomes chi2, chi2 on a number becomes ks, and
// wasserstein on a category becomes psi, each with a note. Severity is the
// statistic over its threshold (log p / log threshold for p-values): 1 is
// the line, larger is worse; reports sort by it.
//
// # Awkward data
//
// Nothing here panics on data. NaN is a null and, like ±Inf, is left out of
// the statistics and counted. A side with no values (an empty window, an
// all-null column) gives undefined statistics — NaN, marshalled as JSON
// null — no drift, and a note. A single-valued column is compared normally
// and noted. A feature missing from the current data or whose type changed
// drifts with a note, as a schema break is something to act on.
package drift
