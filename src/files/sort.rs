//! A listing's order: what the query asks for (`?sort=name|size|time&
//! order=asc|desc`), what `--sort` sets, and the links of the column
//! headers that ask for the others.

use crate::protocol::words::Said;

/// What a listing is sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Name,
    Size,
    Time,
}

/// Which way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

/// A listing's order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub order: SortOrder,
}

impl SortKey {
    fn parse(text: &str) -> Option<SortKey> {
        match text {
            "name" => Some(SortKey::Name),
            "size" => Some(SortKey::Size),
            "time" => Some(SortKey::Time),
            _ => None,
        }
    }

    fn token(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Size => "size",
            SortKey::Time => "time",
        }
    }

    /// The order a column starts in: names A to Z, sizes and times largest
    /// and newest first, as people look for them.
    fn first_order(self) -> SortOrder {
        match self {
            SortKey::Name => SortOrder::Asc,
            SortKey::Size | SortKey::Time => SortOrder::Desc,
        }
    }
}

impl SortOrder {
    fn parse(text: &str) -> Option<SortOrder> {
        match text {
            "asc" => Some(SortOrder::Asc),
            "desc" => Some(SortOrder::Desc),
            _ => None,
        }
    }

    fn token(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }
}

impl Sort {
    /// The order in words, in both languages.
    pub fn describe(self) -> Said {
        let (key_en, key_zh) = match self.key {
            SortKey::Name => ("name", "名称"),
            SortKey::Size => ("size", "大小"),
            SortKey::Time => ("time", "修改时间"),
        };
        let (order_en, order_zh) = match self.order {
            SortOrder::Asc => ("ascending", "升序"),
            SortOrder::Desc => ("descending", "降序"),
        };
        Said::new(
            format!("sorted by {key_en}, {order_en}, directories first"),
            format!("按{key_zh}{order_zh}排列，目录在前"),
        )
    }

    /// `--sort KEY[:ORDER]`: `name`, `size` or `time`, and `asc` or `desc`.
    pub fn parse(text: &str) -> Result<Sort, String> {
        let (key, order) = match text.split_once(':') {
            Some((key, order)) => (key, Some(order)),
            None => (text, None),
        };
        let key =
            SortKey::parse(key).ok_or_else(|| format!("{key:?}: expected name, size or time"))?;
        let order = match order {
            None => key.first_order(),
            Some(order) => {
                SortOrder::parse(order).ok_or_else(|| format!("{order:?}: expected asc or desc"))?
            }
        };
        Ok(Sort { key, order })
    }

    /// The order `query` asks for; what it does not say, or says wrongly,
    /// is `default`'s.
    pub fn from_query(query: Option<&str>, default: Sort) -> Sort {
        let mut sort = default;
        let mut order = None;
        for pair in query.unwrap_or_default().split('&') {
            match pair.split_once('=') {
                Some(("sort", key)) => {
                    if let Some(key) = SortKey::parse(key) {
                        sort = Sort {
                            key,
                            order: key.first_order(),
                        };
                    }
                }
                Some(("order", value)) => order = SortOrder::parse(value),
                _ => {}
            }
        }
        if let Some(order) = order {
            sort.order = order;
        }
        sort
    }

    /// The link of `key`'s column header: the other way round when it is
    /// the order shown, else the column's first order.
    pub fn link(self, key: SortKey) -> String {
        let order = match (self.key == key, self.order) {
            (true, SortOrder::Asc) => SortOrder::Desc,
            (true, SortOrder::Desc) => SortOrder::Asc,
            (false, _) => key.first_order(),
        };
        format!("?sort={}&amp;order={}", key.token(), order.token())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_queries_and_flags_table() {
        let by = |key, order| Sort { key, order };
        let time_desc = by(SortKey::Time, SortOrder::Desc);
        let cases = [
            (None, Sort::default(), Sort::default()),
            (
                Some("sort=size"),
                Sort::default(),
                by(SortKey::Size, SortOrder::Desc),
            ),
            (
                Some("sort=size&order=asc"),
                Sort::default(),
                by(SortKey::Size, SortOrder::Asc),
            ),
            (
                Some("order=desc"),
                Sort::default(),
                by(SortKey::Name, SortOrder::Desc),
            ),
            (Some("sort=colour&order=sideways"), time_desc, time_desc),
            (
                Some("x=1&sort=name"),
                time_desc,
                by(SortKey::Name, SortOrder::Asc),
            ),
            (Some(""), time_desc, time_desc),
        ];
        for (query, default, expected) in cases {
            assert_eq!(Sort::from_query(query, default), expected, "{query:?}");
        }
        assert_eq!(Sort::parse("time"), Ok(time_desc));
        assert_eq!(
            Sort::parse("name:desc"),
            Ok(by(SortKey::Name, SortOrder::Desc))
        );
        assert!(Sort::parse("colour")
            .unwrap_err()
            .contains("name, size or time"));
        assert!(Sort::parse("size:up").unwrap_err().contains("asc or desc"));
        // The header links: the column shown flips, another starts at its first order.
        assert_eq!(
            Sort::default().link(SortKey::Name),
            "?sort=name&amp;order=desc"
        );
        assert_eq!(
            Sort::default().link(SortKey::Size),
            "?sort=size&amp;order=desc"
        );
        assert_eq!(time_desc.link(SortKey::Time), "?sort=time&amp;order=asc");
    }
}
