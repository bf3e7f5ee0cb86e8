package bedrock

import "slices"

// regions are the AWS Regions this build knows, in every partition. A
// well-formed code that is not among them (us-east-7, eu-wset-1) is almost
// always a typo, which the SDK would only report as a DNS failure on the
// first call.
var regions = []string{
	"af-south-1",
	"ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ca-central-1", "ca-west-1",
	"cn-north-1", "cn-northwest-1",
	"eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3",
	"eusc-de-east-1",
	"il-central-1",
	"me-central-1", "me-south-1",
	"mx-central-1",
	"sa-east-1",
	"us-east-1", "us-east-2", "us-west-1", "us-west-2",
	"us-gov-east-1", "us-gov-west-1",
	"us-iso-east-1", "us-iso-west-1", "us-isob-east-1",
}

// KnownRegion reports whether region is an AWS Region this build knows.
func KnownRegion(region string) bool {
	return slices.Contains(regions, region)
}

// BedrockRegions are the commercial Regions where Bedrock Runtime is most
// widely offered, for messages that suggest one.
var BedrockRegions = []string{"us-east-1", "us-west-2", "eu-central-1", "eu-west-1", "ap-northeast-1", "ap-southeast-2"}
