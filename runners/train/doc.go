// Package train holds ferry's builtin trainers and exports what they learn as ONNX
// graphs that carry their own preprocessing.
//
// # Trainers
//
// Train runs the Experiment's builtin trainer on the train split and measures the
// result on the eval split:
//
//   - logistic-regression: binary or multinomial, L2 (C as in scikit-learn, or
//     l2 = 1/C), fitted with L-BFGS (gonum/optimize) on the mean log loss; the
//     iterations, final gradient norm and whether it converged are in Result.Info.
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
// out of range are errors that list what is accepted (see Params).
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
// parameters and seed give the same file. The in-memory model predicts in float32
// as onnxruntime does, and agrees with it to 1e-6.
package train
