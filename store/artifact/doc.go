// Package artifact is ferry's content-addressed artifact store: ONNX models,
// reference profiles and report images, kept in a gocloud.dev/blob bucket under
// keys "sha256/<hex>" of their bytes.
//
// # URLs
//
// Open takes a bucket URL. file:// is the default (a bare path is a file path);
// a relative file:// path ("file://.ferry/artifacts") is resolved against the
// repository root given to Open. mem:// is an in-process bucket for tests.
// s3://BUCKET?region=REGION (the AWS SDK's credential chain; endpoint= for
// S3-compatible stores such as MinIO) and gs://BUCKET (Google application
// default credentials) go through gocloud's s3blob and gcsblob drivers.
//
// # Guarantees
//
// Writes are atomic: fileblob writes a temporary file beside the target and
// renames it, so a reader never sees half an artifact. Put is idempotent: the
// key is the digest, so putting the same bytes twice writes once. Every Get
// hashes what it read and fails, naming the digest, when the bytes do not match.
package artifact
