// Package train holds ferry's builtin trainers and exports what they learn as ONNX
// graphs that carry their own preprocessing.
//
// # Trainers
//
// Train runs the Experiment's builtin trainer on the train split and measures the
// result on the eval split:
//
//   - logistic-regression: binary or multinomial, L2 (C as in scikit-learn, or
//     l2 = 1/C) on the mean log loss. Binary models with up to 2047 encoded
//     columns are fitted with Newton's method (dense Hessian, Armijo steps;
//     a handful of passes over the data); multinomial and wider ones with
//     L-BFGS (gonum/optimize). The solver, iterations, final gradient norm and
//     whether it converged are in Result.Info.
//   - linear-regression: ridge, solved in closed form (Cholesky of the centred
//     normal equations; the intercept is not penalised).
//   - gradient-boosting: histogram-based trees (up to 255 quantile bins per
//     number, one bin per category level) for binary log loss, multiclass log
//     loss (one tree per class and round, softmax) and squared error, grown
//     depth-wise with the histogram subtraction trick; histograms
//     are built on all cores. Nulls have their own bin and every split learns
//     which side they go to. Category levels are ranked by their smoothed
//     training target mean, so one threshold on the rank splits the levels into
//     a low and a high group.
//
// Parameters come from spec.Trainer.Params; unknown names, wrong types and values
// out of range are errors that list what is accepted (see Params):
//
//	logistic-regression  C 1 (inverse L2 strength, as scikit-learn's) or l2 (= 1/C),
//	                     maxIter 500, tol 1e-4 (largest gradient component of the
//	                     mean loss), maxCategories 1000 (one-hot levels per column)
//	linear-regression    l2 1 (scikit-learn Ridge's alpha), maxCategories 1000
//	gradient-boosting    trees 100, depth 6, learningRate 0.1, minSamplesLeaf 20,
//	                     subsample 1 (share of rows per tree, drawn with the
//	                     experiment's seed), l2 0, maxBins 255, maxCategories 255
//	                     (levels kept per column; the rest go with nulls)
//
// # The exported graph
//
// The model takes one input per raw feature column, by name: numbers as float
// [N,1], categories as string [N,1]. Linear models impute numbers with their
// training mean (Imputer), standardise them (Scaler), one-hot encode categories over
// their most frequent levels (OneHotEncoder with zeros=1, so unseen levels encode as
// all zeros), Concat, and end in LinearClassifier or LinearRegressor. Trees map
// category levels to their rank (LabelEncoder; unseen levels become NaN and follow
// the learned missing direction), Concat, and run a TreeEnsembleRegressor; a binary
// classifier turns its score into probabilities with Sigmoid, a multiclass one its
// per-class scores with Softmax, and the label is the ArgMax class (LabelEncoder). Classifiers output
// "label" [N] and "probabilities" [N,C]; regressors output "value" [N,1].
// Metadata: producer, ferryVersion, runId, datasetDigest, features, target, task,
// classes, trainer.
//
// The bytes are deterministic: no timestamps, no map order, and per-chunk sums
// merged in a fixed order whatever the number of cores, so the same data,
// parameters and seed give the same file on the same architecture (math.Exp
// and fused multiply-adds differ between amd64 and arm64). The in-memory model predicts in float32
// as onnxruntime does, and agrees with it to 1e-6.
package train
