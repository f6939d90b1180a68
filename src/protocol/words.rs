//! The two languages glasshttp explains itself in: English, and Chinese for
//! the students of the lab. Every explanation is made in both at once — a
//! [`Phrase`] for fixed words, [`Said`] for words with values in them — so
//! no decision, close reason or error can be explained in one and not the
//! other: each `describe` is an exhaustive `match` whose every arm names
//! both. Field names, status lines and RFC sections stay as they are in both
//! (`If-None-Match`, `304 Not Modified`, `§13.2.2`); the Chinese terms are
//! the lab guide's (三次握手, 四次挥手, 条件请求, 范围请求, 持久连接).

use std::fmt;

/// Which language to speak.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// `zh` for any Chinese locale name (`zh_CN.UTF-8`, `zh-Hans-CN`,
    /// `zh-TW`), English for anything else.
    pub fn from_locale(name: &str) -> Lang {
        let name = name.trim().to_ascii_lowercase();
        if name == "zh" || name.starts_with("zh_") || name.starts_with("zh-") {
            Lang::Zh
        } else {
            Lang::En
        }
    }
}

/// Fixed words, in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phrase {
    pub en: &'static str,
    pub zh: &'static str,
}

/// Builds a [`Phrase`]; a `const fn`, so phrases can be constants.
pub const fn phrase(en: &'static str, zh: &'static str) -> Phrase {
    Phrase { en, zh }
}

impl Phrase {
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Zh => self.zh,
        }
    }
}

/// Words with values in them, in both languages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    pub en: String,
    pub zh: String,
}

impl Said {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Said {
        Said {
            en: en.into(),
            zh: zh.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

impl From<Phrase> for Said {
    fn from(phrase: Phrase) -> Said {
        Said::new(phrase.en, phrase.zh)
    }
}

impl fmt::Display for Phrase {
    /// The English, for logs and errors that are not explanations.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.en)
    }
}

/// Whether `text` has a CJK ideograph in it: what a Chinese rendering must.
#[cfg(test)]
pub fn has_cjk(text: &str) -> bool {
    text.chars()
        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c))
}

/// Checks a rendering in both languages: both there, different, and the
/// Chinese one Chinese. For the tables that cover every variant.
#[cfg(test)]
pub fn assert_both(en: &str, zh: &str, case: &str) {
    assert!(!en.trim().is_empty(), "{case}: no English");
    assert!(!zh.trim().is_empty(), "{case}: no Chinese");
    assert_ne!(en, zh, "{case}: the same in both");
    assert!(has_cjk(zh), "{case}: the Chinese has no Chinese: {zh}");
    assert!(!has_cjk(en), "{case}: Chinese in the English: {en}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_names_table() {
        let cases = [
            ("zh_CN.UTF-8", Lang::Zh),
            ("zh-Hans-CN", Lang::Zh),
            ("zh-TW", Lang::Zh),
            ("ZH_cn", Lang::Zh),
            ("zh", Lang::Zh),
            ("en_US.UTF-8", Lang::En),
            ("C.UTF-8", Lang::En),
            ("POSIX", Lang::En),
            ("", Lang::En),
            ("zhx", Lang::En),
        ];
        for (name, lang) in cases {
            assert_eq!(Lang::from_locale(name), lang, "{name}");
        }
    }

    #[test]
    fn cjk_is_found_table() {
        for (text, cjk) in [
            ("条件请求", true),
            ("If-None-Match 匹配", true),
            ("304", false),
            ("é", false),
        ] {
            assert_eq!(has_cjk(text), cjk, "{text}");
        }
    }
}
