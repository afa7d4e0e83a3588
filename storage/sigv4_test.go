package storage

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The credentials and expected signatures of the examples in AWS's
// "Signature Calculations for the Authorization Header" and "Authenticating
// Requests: Using Query Parameters" documentation for S3.
var awsExample = signer{accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1"}

var awsExampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func TestSignRequestAWSExamples(t *testing.T) {
	t.Parallel()
	get, _ := http.NewRequest("GET", "https://examplebucket.s3.amazonaws.com/test.txt", nil)
	get.Header.Set("Range", "bytes=0-9")
	awsExample.signRequest(get, emptySHA256, awsExampleTime)
	want := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, " +
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
	if got := get.Header.Get("Authorization"); got != want {
		t.Fatalf("GET example:\n got %s\nwant %s", got, want)
	}

	put, _ := http.NewRequest("PUT", "https://examplebucket.s3.amazonaws.com/test$file.text", strings.NewReader("Welcome to Amazon S3."))
	put.URL.RawPath = "/test%24file.text"
	put.Header.Set("Date", "Fri, 24 May 2013 00:00:00 GMT")
	put.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	awsExample.signRequest(put, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072", awsExampleTime)
	if got := put.Header.Get("Authorization"); !strings.HasSuffix(got,
		"SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd") {
		t.Fatalf("PUT example: %s", got)
	}
}

func TestPresignAWSExample(t *testing.T) {
	t.Parallel()
	u, _ := url.Parse("https://examplebucket.s3.amazonaws.com/test.txt")
	got := awsExample.presign("GET", u, 24*time.Hour, awsExampleTime).String()
	want := "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
		"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
		"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	if got != want {
		t.Fatalf("presigned URL:\n got %s\nwant %s", got, want)
	}
}

func TestURIEncode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"a b+c~d/e": "a%20b%2Bc~d/e", "ü": "%C3%BC", "A-Z_0.9": "A-Z_0.9"} {
		if got := uriEncode(in, false); got != want {
			t.Errorf("uriEncode(%q) = %q, want %q", in, got, want)
		}
	}
	if got := uriEncode("a/b", true); got != "a%2Fb" {
		t.Errorf("slash kept: %q", got)
	}
}
