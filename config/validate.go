package config

// validate reports problems that involve more than one setting. Each
// message names the variable to fix.
func (l *loader) validate(c *Config) {
	if c.LogLevel == "fatal" { // Rails' level, accepted for Barong configurations
		c.LogLevel = "error"
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		if c.AdminEmail == "" {
			l.fail("BARONG_ADMIN_EMAIL: required when BARONG_ADMIN_PASSWORD is set")
		} else {
			l.fail("BARONG_ADMIN_PASSWORD: required when BARONG_ADMIN_EMAIL is set")
		}
	}
	if c.JWTPrivateKey != "" {
		if _, _, set := l.lookup("JWT_PRIVATE_KEY_PATH", "BARONG_JWT_PRIVATE_KEY_PATH"); !set {
			c.JWTPrivateKeyPath = ""
		}
	}
	switch c.Captcha {
	case "recaptcha":
		l.require(c.RecaptchaSiteKey, "BARONG_RECAPTCHA_SITE_KEY", "BARONG_CAPTCHA=recaptcha")
		l.require(c.RecaptchaSecretKey, "BARONG_RECAPTCHA_SECRET_KEY", "BARONG_CAPTCHA=recaptcha")
	case "geetest":
		l.require(c.GeetestID, "BARONG_GEETEST_ID", "BARONG_CAPTCHA=geetest")
		l.require(c.GeetestKey, "BARONG_GEETEST_KEY", "BARONG_CAPTCHA=geetest")
	}
	if c.PhoneVerification == "twilio_sms" || c.PhoneVerification == "twilio_verify" {
		when := "BARONG_PHONE_VERIFICATION=" + c.PhoneVerification
		l.require(c.TwilioAccountSID, "BARONG_TWILIO_ACCOUNT_SID", when)
		l.require(c.TwilioAuthToken, "BARONG_TWILIO_AUTH_TOKEN", when)
	}
	if c.KYCProvider == "kycaid" {
		l.require(c.KYCAIDAuthorizationToken, "BARONG_KYCAID_AUTHORIZATION_TOKEN", "BARONG_KYC_PROVIDER=kycaid")
		// KYCAID calls back <domain>/api/v2/barong/public/kyc.
		if err := checkHTTPURL(c.Domain); err != nil {
			l.fail("BARONG_DOMAIN: %q must be an http(s) URL when BARONG_KYC_PROVIDER=kycaid", c.Domain)
		}
	}
	l.positive(int64(c.SessionExpireTime), "BARONG_SESSION_EXPIRE_TIME")
	l.positive(int64(c.JWTExpireTime), "BARONG_JWT_EXPIRE_TIME")
	l.positive(int64(c.UploadSizeMaxRange), "BARONG_UPLOAD_SIZE_MAX_RANGE")
	if c.UploadSizeMinRange > c.UploadSizeMaxRange*1024*1024 {
		l.fail("BARONG_UPLOAD_SIZE_MIN_RANGE: %d is above BARONG_UPLOAD_SIZE_MAX_RANGE", c.UploadSizeMinRange)
	}
	if c.LoginThrottleEnabled {
		l.positive(int64(c.LoginThrottleMaxAttempts), "BARONG_LOGIN_THROTTLE_MAX_ATTEMPTS")
		l.positive(int64(c.LoginThrottleIPMaxAttempts), "BARONG_LOGIN_THROTTLE_IP_MAX_ATTEMPTS")
		l.positive(int64(c.LoginThrottleAccountMaxAttempts), "BARONG_LOGIN_THROTTLE_ACCOUNT_MAX_ATTEMPTS")
		l.positive(int64(c.LoginThrottleWindow), "BARONG_LOGIN_THROTTLE_WINDOW")
		l.positive(int64(c.LoginThrottleDelay), "BARONG_LOGIN_THROTTLE_DELAY")
	}
}

func (l *loader) require(v, name, when string) {
	if v == "" {
		l.fail("%s: required when %s", name, when)
	}
}

func (l *loader) positive(v int64, name string) {
	if v <= 0 {
		l.fail("%s: must be greater than 0", name)
	}
}
