package policy

// maxPolicyFileBytes bounds POLICY_FILE.
const maxPolicyFileBytes = 4 << 20
