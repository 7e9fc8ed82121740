//! `landfall cost notify`: each domain's report to its owners when its
//! forecast crosses a `billing.forecast` threshold, in either direction.
//!
//! A domain *stands* above, within or below its thresholds: the month-end
//! forecast against last month's full spend, over the difference amount or
//! percentage. A notification goes out when the standing differs from the
//! one last notified (kept in the store, so a re-run sends nothing new), or
//! always when asked. The mail (HTML, text, CSV of the contributions, as raw
//! MIME) goes through a [`MailSender`] (SES v2 in `landfall-live`, or a
//! [`FileSink`]); the chat summary, cut to the platform's limits, through a
//! [`ChatSender`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Serialize;

use crate::html;
use crate::report::{self, Decomposition, DomainReport, Report};

/// `billing.forecast` of the spec: a difference at or over either is reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub difference_percent: f64,
    pub difference_amount: f64,
}

/// Where a domain's month-end forecast stands against last month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    Above,
    Within,
    Below,
}

impl Standing {
    pub fn name(self) -> &'static str {
        match self {
            Standing::Above => "above",
            Standing::Within => "within",
            Standing::Below => "below",
        }
    }

    pub fn parse(text: &str) -> Option<Standing> {
        [Standing::Above, Standing::Within, Standing::Below]
            .into_iter()
            .find(|s| s.name() == text)
    }
}

/// Month-end forecast − last month's full spend, against the thresholds.
pub fn standing(domain: &DomainReport, thresholds: &Thresholds) -> Standing {
    let difference = domain.forecast.month_end - domain.last_month_full;
    let over_amount = difference.abs() >= thresholds.difference_amount;
    let over_percent = domain.last_month_full > 0.0
        && 100.0 * difference.abs() >= thresholds.difference_percent * domain.last_month_full;
    match (over_amount || over_percent, difference > 0.0) {
        (false, _) => Standing::Within,
        (true, true) => Standing::Above,
        (true, false) => Standing::Below,
    }
}

/// Whether a domain is notified, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub domain: String,
    /// The standing last notified (`within` when never).
    pub previous: Standing,
    pub now: Standing,
    pub send: bool,
    pub reason: String,
}

pub fn decide(domain: &str, previous: Option<Standing>, now: Standing, always: bool) -> Decision {
    let before = previous.unwrap_or(Standing::Within);
    let (send, reason) = if before != now {
        (
            true,
            format!(
                "the forecast went from {} to {} the thresholds",
                before.name(),
                now.name()
            ),
        )
    } else if always {
        (true, "sent on request (--always)".to_string())
    } else if previous.is_none() {
        (
            false,
            format!("{} the thresholds: nothing to report", now.name()),
        )
    } else {
        (
            false,
            format!("still {} the thresholds: already notified", now.name()),
        )
    };
    Decision {
        domain: domain.to_string(),
        previous: before,
        now,
        send,
        reason,
    }
}

/// A file attached to a mail.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// A mail with text and HTML alternatives and attachments.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
}

/// SES v2 raw mail limits: no line over 1,000 characters
/// (<https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_EmailContent.html>),
/// 40 MB per message (<https://docs.aws.amazon.com/ses/latest/dg/attachments.html>).
pub const SES_MAX_LINE: usize = 1_000;
pub const SES_MAX_MESSAGE_BYTES: usize = 40 * 1024 * 1024;

/// What the MIME writer refuses: an address that would break the headers.
fn check_address(address: &str) -> Result<(), String> {
    let plain = address.chars().all(|c| c.is_ascii_graphic());
    if plain && address.matches('@').count() == 1 && !address.contains(['<', '>', ',', '"']) {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a mail address (one `local@domain`, printable ASCII, no spaces)",
            address.escape_debug()
        ))
    }
}

/// 64-bit FNV-1a, for boundaries that depend only on the content.
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in *part {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// Base64 in lines of 76 characters (RFC 2045).
fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// A header value: as is when plain ASCII, else RFC 2047 encoded words.
fn header_text(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    if clean.is_ascii() {
        return clean;
    }
    // Encoded words of at most 75 characters (RFC 2047 §2), each of whole
    // characters, on folded lines.
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in clean.chars() {
        if chunk.len() + c.len_utf8() > 39 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    words.push(chunk);
    words
        .iter()
        .map(|w| {
            format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w.as_bytes())
            )
        })
        .collect::<Vec<_>>()
        .join("\r\n ")
}

impl Email {
    /// The raw message: `multipart/mixed` of a `multipart/alternative`
    /// (text, then HTML) and the attachments, CRLF line ends, bodies in
    /// base64. Boundaries come from the content (base64 never contains `-`),
    /// so the same mail gives the same bytes.
    pub fn mime(&self) -> Result<String, String> {
        check_address(&self.from)?;
        if self.to.is_empty() {
            return Err("a mail needs at least one recipient".into());
        }
        for to in &self.to {
            check_address(to)?;
        }
        let seed = fnv(&[
            self.subject.as_bytes(),
            self.text.as_bytes(),
            self.html.as_bytes(),
        ]);
        let mixed = format!("landfall-mixed-{seed:016x}");
        let alternative = format!("landfall-alternative-{seed:016x}");
        let mut out = String::new();
        let _ = write!(
            out,
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"{mixed}\"\r\n\r\n\
             --{mixed}\r\nContent-Type: multipart/alternative; boundary=\"{alternative}\"\r\n\r\n",
            self.from,
            // One recipient a line (folded), so no line passes SES's limit.
            self.to.join(",\r\n "),
            header_text(&self.subject)
        );
        for (content_type, body) in [("text/plain", &self.text), ("text/html", &self.html)] {
            let _ = write!(
                out,
                "--{alternative}\r\nContent-Type: {content_type}; charset=UTF-8\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}",
                base64_lines(body.as_bytes())
            );
        }
        let _ = write!(out, "--{alternative}--\r\n");
        for attachment in &self.attachments {
            let name = header_text(&attachment.filename).replace('"', "");
            let _ = write!(
                out,
                "--{mixed}\r\nContent-Type: {}; name=\"{name}\"\r\n\
                 Content-Disposition: attachment; filename=\"{name}\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}",
                attachment.content_type,
                base64_lines(&attachment.content)
            );
        }
        let _ = write!(out, "--{mixed}--\r\n");
        if out.len() > SES_MAX_MESSAGE_BYTES {
            return Err(format!(
                "the mail is {} bytes, over SES's {SES_MAX_MESSAGE_BYTES}",
                out.len()
            ));
        }
        if let Some(line) = out.split("\r\n").find(|l| l.len() > SES_MAX_LINE) {
            return Err(format!(
                "a header line of {} characters, over SES's {SES_MAX_LINE}",
                line.len()
            ));
        }
        Ok(out)
    }
}

/// One CSV field, quoted when it must be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Every decomposition of the domain's report, one contributor a row.
pub fn contributions_csv(domain: &DomainReport) -> String {
    let mut out = String::from("comparison,contributor,change,before,after,difference\n");
    let mut rows = |comparison: &str, d: &Decomposition| {
        for c in &d.contributions {
            let change = serde_json::to_value(c.change)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{comparison},{},{change},{:.2},{:.2},{:.2}",
                csv_field(&c.name),
                c.before,
                c.after,
                c.difference
            );
        }
    };
    rows("vs last month by service", &domain.vs_last_month_by_service);
    rows("vs last month by account", &domain.vs_last_month_by_account);
    if let Some(budget) = &domain.budget {
        rows("forecast vs budget", &budget.decomposition);
    }
    out
}

/// The mail of one domain's report (`report` holds that domain only).
pub fn email(report: &Report, from: &str, to: &[String], decision: &Decision) -> Email {
    let mut subject = format!("Spend of {}", decision.domain);
    let mut attachments = Vec::new();
    if let Some(d) = report.domains.first() {
        subject = format!(
            "Spend of {} — {}: forecast {} {:.2}, {}",
            d.domain,
            d.month,
            report.currency,
            d.forecast.month_end,
            difference_phrase(d)
        );
        attachments.push(Attachment {
            filename: format!("{}-{}-contributions.csv", d.domain, d.month),
            content_type: "text/csv; charset=UTF-8".into(),
            content: contributions_csv(d).into_bytes(),
        });
    }
    Email {
        from: from.to_string(),
        to: to.to_vec(),
        subject,
        text: format!(
            "Why you get this: {}.\n\n{}",
            decision.reason,
            report::markdown(report)
        ),
        html: html::html(report),
        attachments,
    }
}

/// `+1234.56 (+7.1 %) vs last month`.
fn difference_phrase(d: &DomainReport) -> String {
    let difference = d.forecast.month_end - d.last_month_full;
    if d.last_month_full > 0.0 {
        format!(
            "{difference:+.2} ({:+.1} %) vs last month",
            100.0 * difference / d.last_month_full
        )
    } else {
        format!("{difference:+.2} vs last month")
    }
}

/// Limits of a chat message (Slack Block Kit), and the pages they are from.
#[derive(Debug, Clone, Copy)]
pub struct ChatLimits {
    /// Characters of a section block's text.
    /// <https://docs.slack.dev/reference/block-kit/blocks/section-block>
    pub section_text: usize,
    /// Characters of a header block's text.
    /// <https://docs.slack.dev/reference/block-kit/blocks/header-block>
    pub header_text: usize,
    /// Blocks in one message.
    /// <https://docs.slack.dev/reference/block-kit/blocks>
    pub blocks: usize,
}

pub const CHAT_LIMITS: ChatLimits = ChatLimits {
    section_text: 3000,
    header_text: 150,
    blocks: 50,
};

/// `text` cut to `max` characters, an ellipsis ending what was cut.
pub fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The chat summary of one domain: a header, the figures, the top
/// contributors, where the full report went; within [`CHAT_LIMITS`].
pub fn chat_summary(
    report: &Report,
    domain: &DomainReport,
    channel: Option<&str>,
    decision: &Decision,
    mailed_to: &[String],
) -> serde_json::Value {
    let money = |v: f64| format!("{} {v:.2}", report.currency);
    let band = match (
        domain.forecast.month_end_low,
        domain.forecast.month_end_high,
    ) {
        (Some(l), Some(h)) => format!(" (80 % band {} – {})", money(l), money(h)),
        _ => String::new(),
    };
    let mut figures = format!(
        "*Month-end forecast* {}{band}, {}\n*Month to date* {} · *last month* {}",
        money(domain.forecast.month_end),
        difference_phrase(domain),
        money(domain.month_to_date),
        money(domain.last_month_full),
    );
    if let Some(b) = &domain.budget {
        let _ = write!(
            figures,
            " · *budget* {} ({:.0} % forecast)",
            money(b.monthly),
            b.forecast_percent_of_budget
        );
    }
    let _ = write!(figures, "\n_{}_", decision.reason);
    let mut contributors = String::from("*vs last month (same day), by service*");
    for c in &domain.vs_last_month_by_service.contributions {
        let _ = write!(
            contributors,
            "\n• {} ({}) {:+.2}",
            fit(&c.name, 80),
            serde_json::to_value(c.change)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            c.difference
        );
    }
    let header = fit(
        &format!("Spend of {} — {}", domain.domain, domain.month),
        CHAT_LIMITS.header_text,
    );
    let context = fit(
        &format!(
            "Data {} as of {}. Full report by mail to {}.",
            domain.data_state,
            domain.as_of,
            mailed_to.join(", ")
        ),
        CHAT_LIMITS.section_text,
    );
    let mut blocks = vec![
        serde_json::json!({"type": "header", "text": {"type": "plain_text", "text": header}}),
        serde_json::json!({"type": "section", "text": {"type": "mrkdwn", "text": fit(&figures, CHAT_LIMITS.section_text)}}),
        serde_json::json!({"type": "section", "text": {"type": "mrkdwn", "text": fit(&contributors, CHAT_LIMITS.section_text)}}),
        serde_json::json!({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]}),
    ];
    blocks.truncate(CHAT_LIMITS.blocks);
    let mut message = serde_json::json!({
        "text": fit(
            &format!(
                "Spend of {}: forecast {}, {}",
                domain.domain,
                money(domain.forecast.month_end),
                difference_phrase(domain)
            ),
            CHAT_LIMITS.section_text,
        ),
        "blocks": blocks,
    });
    if let Some(channel) = channel {
        message["channel"] = serde_json::Value::String(channel.to_string());
    }
    message
}

/// Sends a raw MIME mail; the answer is the message id.
pub trait MailSender {
    fn send(&mut self, from: &str, to: &[String], raw: &str) -> Result<String, String>;
}

/// Posts a chat message (the webhook's JSON body).
pub trait ChatSender {
    fn post(&mut self, message: &serde_json::Value) -> Result<(), String>;
}

/// Writes mails (`NN-RECIPIENTS.eml`) and chat messages
/// (`NN-CHANNEL.chat.json`) into a directory instead of sending them, for
/// tests and dry runs; `NN` follows the files already there, so nothing is
/// overwritten.
pub struct FileSink {
    dir: PathBuf,
}

impl FileSink {
    pub fn new(dir: &Path) -> Result<FileSink, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(FileSink {
            dir: dir.to_path_buf(),
        })
    }

    fn write(&mut self, name: &str, extension: &str, content: &str) -> Result<String, String> {
        let existing = std::fs::read_dir(&self.dir)
            .map_err(|e| format!("{}: {e}", self.dir.display()))?
            .count();
        let slug: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let path = self.dir.join(format!(
            "{:02}-{}.{extension}",
            existing + 1,
            slug.trim_matches('-')
        ));
        std::fs::write(&path, content).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path.display().to_string())
    }
}

impl MailSender for FileSink {
    fn send(&mut self, _from: &str, to: &[String], raw: &str) -> Result<String, String> {
        self.write(&to.join("_"), "eml", raw)
    }
}

impl ChatSender for FileSink {
    fn post(&mut self, message: &serde_json::Value) -> Result<(), String> {
        let name = message["channel"].as_str().unwrap_or("chat").to_string();
        let body = serde_json::to_string_pretty(message).map_err(|e| e.to_string())?;
        self.write(&name, "chat.json", &body).map(|_| ())
    }
}

/// Who gets a domain's report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recipients {
    pub emails: Vec<String>,
    /// The owner's chat channel (`#web-oncall`).
    pub chat: Option<String>,
}

/// What `notify` did for one domain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    #[serde(flatten)]
    pub decision: Decision,
    pub to: Vec<String>,
    /// The mail's id, from the sender, when it was sent.
    pub message_id: Option<String>,
    pub chat_posted: bool,
}

/// Options of one `notify` run.
pub struct Notify<'a> {
    pub thresholds: Thresholds,
    pub from: String,
    pub always: bool,
    pub mail: &'a mut dyn MailSender,
    pub chat: Option<&'a mut dyn ChatSender>,
}

/// Decides and sends per domain of `report`; a domain's standing is recorded
/// only once its mail (and chat message) went out, so a failure is retried
/// on the next run. Stops at the first sending failure.
pub fn notify(
    report: &Report,
    recipients: &std::collections::BTreeMap<String, Recipients>,
    store: &mut crate::store::Store,
    options: &mut Notify<'_>,
) -> Result<Vec<Outcome>, String> {
    let mut outcomes = Vec::new();
    for domain in &report.domains {
        let previous = store
            .last_notified(&domain.domain)
            .map_err(|e| e.to_string())?
            .as_deref()
            .and_then(Standing::parse);
        let now = standing(domain, &options.thresholds);
        let decision = decide(&domain.domain, previous, now, options.always);
        let who = recipients.get(&domain.domain).cloned().unwrap_or_default();
        let mut outcome = Outcome {
            decision: decision.clone(),
            to: who.emails.clone(),
            message_id: None,
            chat_posted: false,
        };
        if decision.send {
            if who.emails.is_empty() {
                return Err(format!("domain `{}` has no owner email", domain.domain));
            }
            let one = Report {
                domains: vec![domain.clone()],
                ..report.clone()
            };
            let mail = email(&one, &options.from, &who.emails, &decision);
            let raw = mail.mime()?;
            let id = options
                .mail
                .send(&options.from, &who.emails, &raw)
                .map_err(|e| format!("mail to {}: {e}", who.emails.join(", ")))?;
            outcome.message_id = Some(id);
            if let Some(chat) = options.chat.as_deref_mut() {
                let message =
                    chat_summary(&one, domain, who.chat.as_deref(), &decision, &who.emails);
                chat.post(&message)
                    .map_err(|e| format!("chat summary of {}: {e}", domain.domain))?;
                outcome.chat_posted = true;
            }
            store
                .record_notified(&domain.domain, now.name(), &domain.as_of)
                .map_err(|e| e.to_string())?;
        }
        outcomes.push(outcome);
    }
    Ok(outcomes)
}
