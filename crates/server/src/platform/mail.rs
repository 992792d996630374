//! Outgoing email over SMTP: the transport from a URL (`smtp://host:25`
//! for a local relay, `smtp://user:pass@host:587?tls=required` for
//! STARTTLS, `smtps://user:pass@host:465`), and the invitation message:
//! plain text and HTML (escaped by maud), with one-click unsubscribe
//! headers (RFC 8058).

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use maud::html;

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The server refused for good (5xx: no such mailbox, rejected): a bounce.
    #[error("refused: {0}")]
    Permanent(String),
    /// Worth trying again later (connection refused, 4xx, timeout).
    #[error("not sent yet: {0}")]
    Transient(String),
    /// The address or message cannot be built.
    #[error("{0}")]
    Invalid(String),
}

/// An SMTP connection pool and the sender's address.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// One invitation email.
pub struct Invite<'a> {
    pub to: &'a str,
    pub survey_title: &'a str,
    pub survey_description: Option<&'a str>,
    pub link: &'a str,
    pub unsubscribe: &'a str,
    pub reminder: bool,
}

impl Mailer {
    /// From `--smtp-url` and `--mail-from`; errors say which is wrong.
    pub fn new(url: &str, from: &str) -> Result<Mailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("--smtp-url {url:?}: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from.parse().map_err(|e| format!("--mail-from {from:?}: {e}"))?;
        Ok(Mailer { transport, from })
    }

    pub async fn send_invite(&self, m: &Invite<'_>) -> Result<(), SendError> {
        let to: Mailbox = m.to.parse().map_err(|e| SendError::Invalid(format!("{:?} is not an address: {e}", m.to)))?;
        let subject = if m.reminder {
            format!("Reminder: {} (two minutes)", m.survey_title)
        } else {
            format!("{}: tell us how we are doing", m.survey_title)
        };
        let intro = m.survey_description.unwrap_or(
            "We would value two minutes of your time. Your answer goes straight to the team that can act on it.",
        );
        let text = format!(
            "{intro}\n\nAnswer here: {}\n\nYou get this because you are our customer. To get no more surveys from us: {}\n",
            m.link, m.unsubscribe
        );
        let page = html! {
            p { (intro) }
            p { a href=(m.link) style="display:inline-block;padding:10px 16px;background:#0b5cad;color:#fff;border-radius:6px;text-decoration:none" { "Answer the survey" } }
            p style="color:#555;font-size:13px" { "Or open " (m.link) }
            p style="color:#555;font-size:13px" { "You get this because you are our customer. " a href=(m.unsubscribe) { "No more surveys, please" } "." }
        };
        let header = |name: &'static str, value: String| HeaderValue::new(HeaderName::new_from_ascii_str(name), value);
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .raw_header(header("List-Unsubscribe", format!("<{}>", m.unsubscribe)))
            .raw_header(header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()))
            .multipart(MultiPart::alternative_plain_html(text, page.into_string()))
            .map_err(|e| SendError::Invalid(e.to_string()))?;
        match self.transport.send(msg).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}
