// Package storage keeps uploaded KYC files: in a local directory (the
// default, ./var/uploads) or in an S3-compatible bucket (AWS S3, Google
// Cloud Storage's XML API, Alibaba OSS) reached with AWS Signature V4
// (reference §2.2, BARONG_STORAGE_*).
//
// Objects are named by keys of slash-separated segments such as
// uploads/document/upload/<random>/<file name>; a key that could leave the
// storage root (.., empty segments, backslashes, control characters) is
// refused with ErrInvalidKey. Cloud objects are private and read through
// presigned URLs that expire after BARONG_UPLOAD_AUTH_URL_EXPIRATION.
package storage
