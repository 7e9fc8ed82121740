//! The cost reports by mail: SES v2 `SendEmail` with raw content (the only
//! form that carries attachments), behind `landfall-cost`'s `MailSender`.
//!
//! Sent as the caller in the home region: SES identities (the sending
//! domain or address) belong to the account that sends, usually the
//! management or a billing account, so no member role is entered.

use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use landfall_cost::notify::MailSender;

use crate::aws::Session;
use crate::error::LiveError;

/// SES v2, driven from synchronous code (the notify loop) on its own runtime.
pub struct SesMail {
    client: aws_sdk_sesv2::Client,
    runtime: tokio::runtime::Runtime,
}

impl SesMail {
    /// Connects with `options` (credentials, profile, endpoint, region);
    /// makes no call yet.
    pub fn connect(options: crate::ConnectOptions) -> Result<SesMail, LiveError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| LiveError::Plan(format!("cannot start the async runtime: {e}")))?;
        let session = runtime.block_on(Session::connect(options));
        let client = aws_sdk_sesv2::Client::new(session.base_config());
        Ok(SesMail { client, runtime })
    }

    /// The client, for callers that set SES up (tests verify an identity).
    pub fn client(&self) -> &aws_sdk_sesv2::Client {
        &self.client
    }

    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl MailSender for SesMail {
    fn send(&mut self, from: &str, to: &[String], raw: &str) -> Result<String, String> {
        let request = self
            .client
            .send_email()
            .from_email_address(from)
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(to.to_vec()))
                    .build(),
            )
            .content(
                EmailContent::builder()
                    .raw(
                        RawMessage::builder()
                            .data(Blob::new(raw.as_bytes()))
                            .build()
                            .map_err(|e| e.to_string())?,
                    )
                    .build(),
            );
        let answer = self
            .runtime
            .block_on(request.send())
            .map_err(|e| LiveError::api("SES SendEmail", &e).to_string())?;
        Ok(answer.message_id().unwrap_or_default().to_string())
    }
}
