// SPDX-License-Identifier: AGPL-3.0-or-later
#include "bots/parsers/html_table/html_tree.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <stdexcept>

#include "harmonization/unicode.hpp"

namespace intelflow::bots::html {

namespace {

using U32 = std::u32string;
using U32View = std::u32string_view;
constexpr std::size_t npos = U32View::npos;

// --- text helpers -----------------------------------------------------------------------

U32 to_u32(std::string_view s) {
  U32 out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) out.push_back(harm::uni::next_code_point(s, i));
  return out;
}

void append_u8(std::string& out, U32View s) {
  for (char32_t c : s) {
    if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;  // a lone surrogate cannot be UTF-8
    harm::uni::append_utf8(out, c);
  }
}

std::string to_u8(U32View s) {
  std::string out;
  append_u8(out, s);
  return out;
}

void append_to(U32& out, std::string_view utf8) {
  for (std::size_t i = 0; i < utf8.size();) out.push_back(harm::uni::next_code_point(utf8, i));
}

/// Python re `\s` on str (= str.isspace()).
bool is_space(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  return harm::uni::is_space(c);
}
bool is_ascii_alpha(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_ascii_alnum(char32_t c) {
  return is_ascii_alpha(c) || (c >= '0' && c <= '9');
}
bool is_hex(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

U32View strip(U32View s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string lower_u8(U32View s) {
  return harm::uni::lower(to_u8(s));
}

bool starts_with(U32View s, std::size_t i, std::string_view lit) {
  if (i + lit.size() > s.size()) return false;
  for (std::size_t k = 0; k < lit.size(); ++k)
    if (s[i + k] != static_cast<unsigned char>(lit[k])) return false;
  return true;
}

std::size_t find_char(U32View s, char32_t c, std::size_t from) {
  return from > s.size() ? npos : s.find(c, from);
}

// --- entities -------------------------------------------------------------------------------

struct Entity {
  std::string_view name;
  std::string_view utf8;
};
constexpr Entity kEntities[] = {
#include "bots/parsers/html_table/html_entities.inc"
};

const Entity* find_entity(std::string_view name) {
  const auto* end = std::end(kEntities);
  const auto* it = std::lower_bound(std::begin(kEntities), end, name,
                                    [](const Entity& e, std::string_view n) { return e.name < n; });
  return (it != end && it->name == name) ? it : nullptr;
}

/// Windows-1252 for 0x80–0x9F (undefined bytes map to themselves).
constexpr std::array<char32_t, 32> kCp1252 = {
    0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

bool invalid_codepoint(std::uint64_t n) {
  if ((n >= 0x1 && n <= 0x8) || (n >= 0xe && n <= 0x1f) || (n >= 0x7f && n <= 0x9f) ||
      (n >= 0xfdd0 && n <= 0xfdef) || n == 0xb)
    return true;
  return (n & 0xfffe) == 0xfffe && n <= 0x10ffff;
}

/// Parses digits of base 10/16, saturating (values above 0x10FFFF are all alike here).
std::uint64_t parse_num(U32View digits, int base) {
  std::uint64_t v = 0;
  for (char32_t c : digits) {
    const int d = c <= '9' ? static_cast<int>(c - '0') : (static_cast<int>(c | 0x20) - 'a' + 10);
    v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
    if (v > 0x7fffffff) v = 0x7fffffff;
  }
  return v;
}

/// html.unescape() on code points.
U32 unescape32(U32View s) {
  if (s.find(U'&') == npos) return U32(s);
  U32 out;
  out.reserve(s.size());
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    if (s[i] != '&') {
      out.push_back(s[i++]);
      continue;
    }
    // &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)
    std::size_t j = i + 1;
    if (j < n && s[j] == '#') {
      std::size_t k = j + 1;
      int base = 10;
      if (k < n && (s[k] == 'x' || s[k] == 'X')) {
        base = 16;
        ++k;
      }
      const std::size_t ds = k;
      while (k < n && (base == 16 ? is_hex(s[k]) : (s[k] >= '0' && s[k] <= '9'))) ++k;
      if (k == ds) {
        out.push_back(s[i++]);  // no match: '&' literal
        continue;
      }
      const std::uint64_t num = parse_num(s.substr(ds, k - ds), base);
      if (k < n && s[k] == ';') ++k;
      if (num == 0) {
        out.push_back(0xFFFD);
      } else if (num == 0x0d) {
        out.push_back('\r');
      } else if (num >= 0x80 && num <= 0x9f) {
        out.push_back(kCp1252[num - 0x80]);
      } else if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) {
        out.push_back(0xFFFD);
      } else if (!invalid_codepoint(num)) {
        out.push_back(static_cast<char32_t>(num));
      }
      i = k;
      continue;
    }
    std::size_t k = j;
    while (k < n && k - j < 32) {
      const char32_t c = s[k];
      if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' ||
          c == ';')
        break;
      ++k;
    }
    if (k == j) {
      out.push_back(s[i++]);
      continue;
    }
    std::size_t end = k;
    if (end < n && s[end] == ';') ++end;
    const std::string name = to_u8(s.substr(j, end - j));
    if (const Entity* e = find_entity(name)) {
      append_to(out, e->utf8);
      i = end;
      continue;
    }
    // longest prefix that is a known entity (at least 2 characters)
    const U32View cand = s.substr(j, end - j);
    bool done = false;
    for (std::size_t x = cand.size() - 1; x > 1; --x) {
      if (const Entity* e = find_entity(to_u8(cand.substr(0, x)))) {
        append_to(out, e->utf8);
        out.append(cand.substr(x));
        done = true;
        break;
      }
    }
    if (!done) {
      out.push_back('&');
      out.append(cand);
    }
    i = end;
  }
  return out;
}

}  // namespace

std::string unescape(std::string_view utf8) {
  return to_u8(unescape32(to_u32(utf8)));
}

// --- nodes ----------------------------------------------------------------------------------

std::string Node::Attr::joined() const {
  if (!is_list) return value;
  std::string out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) out.push_back(' ');
    out.append(tokens[i]);
  }
  return out;
}

const Node::Attr* Node::attr(std::string_view n) const noexcept {
  for (const auto& a : attrs)
    if (a.name == n) return &a;
  return nullptr;
}

namespace {
constexpr std::string_view kVoid[] = {
    "area",     "base",    "br",       "col",   "embed", "hr",      "img",    "input",
    "keygen",   "link",    "menuitem", "meta",  "param", "source",  "track",  "wbr",
    "basefont", "bgsound", "command",  "frame", "image", "isindex", "nextid", "spacer"};
bool is_void(std::string_view name) {
  return std::find(std::begin(kVoid), std::end(kVoid), name) != std::end(kVoid);
}
bool is_list_attr(std::string_view tag, std::string_view attr) {
  if (attr == "class" || attr == "accesskey" || attr == "dropzone") return true;
  if ((tag == "a" || tag == "link") && (attr == "rel" || attr == "rev")) return true;
  if ((tag == "td" || tag == "th") && attr == "headers") return true;
  if (tag == "form" && attr == "accept-charset") return true;
  if (tag == "object" && attr == "archive") return true;
  if (tag == "area" && attr == "rel") return true;
  if (tag == "icon" && attr == "sizes") return true;
  if (tag == "iframe" && attr == "sandbox") return true;
  if (tag == "output" && attr == "for") return true;
  return false;
}
}  // namespace

bool Node::is_empty_element() const noexcept {
  return kind == Kind::Element && children.empty() && is_void(name);
}

// --- tree builder (BeautifulSoup) -------------------------------------------------------------

namespace {

/// BeautifulSoup's tree construction for html.parser events.
class TreeBuilder {
 public:
  explicit TreeBuilder(Document& doc, Node* root) : doc_(doc) { stack_.push_back(root); }

  void start_tag(const std::string& name,
                 std::vector<std::pair<std::string, std::optional<std::string>>>& attrs,
                 bool handle_empty_element) {
    Node* tag = doc_.make(Node::Kind::Element);
    tag->name = name;
    for (auto& [k, v] : attrs) {
      std::string val = v ? std::move(*v) : std::string();
      auto it = std::find_if(tag->attrs.begin(), tag->attrs.end(),
                             [&](const Node::Attr& a) { return a.name == k; });
      if (it != tag->attrs.end()) {
        it->value = std::move(val);  // a repeated attribute: the last value wins
      } else {
        tag->attrs.push_back(Node::Attr{k, std::move(val), {}, false});
      }
    }
    for (auto& a : tag->attrs) {
      if (!is_list_attr(name, a.name)) continue;
      a.is_list = true;
      const U32 v = to_u32(a.value);
      std::size_t i = 0;
      while (i < v.size()) {  // re.findall(r"\S+")
        while (i < v.size() && is_space(v[i])) ++i;
        const std::size_t b = i;
        while (i < v.size() && !is_space(v[i])) ++i;
        if (i > b) a.tokens.push_back(to_u8(U32View(v).substr(b, i - b)));
      }
      a.value.clear();
    }
    end_data();
    tag->parent = current();
    current()->children.push_back(tag);
    push(tag);
    if (handle_empty_element && is_void(name)) {
      end_tag_checked(name, false);
      already_closed_.push_back(name);
    }
  }

  void end_tag(const std::string& name) { end_tag_checked(name, true); }
  void startend_tag(const std::string& name,
                    std::vector<std::pair<std::string, std::optional<std::string>>>& attrs) {
    start_tag(name, attrs, false);
    end_tag(name);
  }

  void data(U32View d) {
    data_.append(d);
    has_data_ = true;
  }

  void special(Node::Kind kind, U32View d) {
    end_data();
    data(d);
    end_data(kind);
  }

  void finish() { end_data(); }

 private:
  Node* current() const { return stack_.back(); }

  void push(Node* t) {
    stack_.push_back(t);
    ++open_[t->name];
    if (t->name == "pre" || t->name == "textarea") preserve_.push_back(t);
    if (t->name == "style" || t->name == "script" || t->name == "template" || t->name == "rt" ||
        t->name == "rp")
      containers_.push_back(t);
  }
  void pop() {
    Node* t = stack_.back();
    stack_.pop_back();
    if (auto it = open_.find(t->name); it != open_.end()) --it->second;
    if (!preserve_.empty() && preserve_.back() == t) preserve_.pop_back();
    if (!containers_.empty() && containers_.back() == t) containers_.pop_back();
  }

  void end_tag_checked(const std::string& name, bool check_already_closed) {
    if (check_already_closed) {
      auto it = std::find(already_closed_.begin(), already_closed_.end(), name);
      if (it != already_closed_.end()) {
        already_closed_.erase(it);
        return;
      }
    }
    end_data();
    // _popToTag
    while (stack_.size() > 1) {
      auto it = open_.find(name);
      if (it == open_.end() || it->second <= 0) break;
      const bool hit = stack_.back()->name == name;
      pop();
      if (hit) break;
    }
  }

  void end_data(std::optional<Node::Kind> kind = std::nullopt) {
    if (!has_data_) return;
    has_data_ = false;
    U32 d = std::move(data_);
    data_.clear();
    if (preserve_.empty()) {
      bool strippable = true;
      bool newline = false;
      for (char32_t c : d) {
        if (c == '\n') newline = true;
        if (!(c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\r')) {
          strippable = false;
          break;
        }
      }
      if (strippable) d = newline ? U"\n" : U" ";  // also an empty string becomes " "
    }
    Node::Kind k = kind.value_or(Node::Kind::Text);
    if (!kind && !containers_.empty()) k = Node::Kind::SpecialText;
    Node* s = doc_.make(k);
    s->text = to_u8(d);
    s->parent = current();
    current()->children.push_back(s);
  }

  Document& doc_;
  std::vector<Node*> stack_;
  std::map<std::string, int, std::less<>> open_;
  std::vector<Node*> preserve_;
  std::vector<Node*> containers_;
  std::vector<std::string> already_closed_;
  U32 data_;
  bool has_data_ = false;
};

// --- tokenizer (Python 3.11 html.parser, convert_charrefs=False as BeautifulSoup uses it) ---

/// The value group of the start-tag regexes: `\s*=+\s*('[^']*'|"[^"]*"|(?!['"])[^>\s]*)`
/// with the regex engine's backtracking. Returns the end and the value span, or nullopt.
struct ValueMatch {
  std::size_t end;
  std::size_t vbegin, vend;
};
std::optional<ValueMatch> match_value(U32View s, std::size_t p) {
  const std::size_t n = s.size();
  std::size_t p1 = p;
  while (p1 < n && is_space(s[p1])) ++p1;
  if (p1 >= n || s[p1] != '=') return std::nullopt;
  std::size_t p2 = p1;
  while (p2 < n && s[p2] == '=') ++p2;
  std::size_t p3max = p2;
  while (p3max < n && is_space(s[p3max])) ++p3max;
  auto bare = [&](std::size_t at) {
    std::size_t e = at;
    while (e < n && s[e] != '>' && !is_space(s[e])) ++e;
    return ValueMatch{e, at, e};
  };
  // ws2 at its maximum
  if (p3max < n && (s[p3max] == '\'' || s[p3max] == '"')) {
    const std::size_t close = find_char(s, s[p3max], p3max + 1);
    if (close != npos) return ValueMatch{close + 1, p3max, close + 1};
  } else {
    return bare(p3max);
  }
  // a quote that does not close: fewer spaces after '=' (bare, empty) ...
  if (p3max > p2) return ValueMatch{p3max - 1, p3max - 1, p3max - 1};
  // ... or fewer '=' (a bare value starting with '=')
  if (p2 - p1 > 1) return bare(p2 - 1);
  return std::nullopt;
}

/// `(?:\s|/(?!>))*`
std::size_t skip_sep(U32View s, std::size_t p) {
  while (p < s.size() &&
         (is_space(s[p]) || (s[p] == '/' && !(p + 1 < s.size() && s[p + 1] == '>'))))
    ++p;
  return p;
}

/// One attribute (attrfind_tolerant) at p; nullopt if none.
struct AttrMatch {
  std::size_t name_begin, name_end;
  std::optional<ValueMatch> value;
  std::size_t rest_begin;  ///< start of the `\s*=...` group
  std::size_t end;
};
std::optional<AttrMatch> match_attr(U32View s, std::size_t p) {
  const std::size_t n = s.size();
  if (p == 0 || p >= n) return std::nullopt;
  const char32_t before = s[p - 1];
  if (!(before == '\'' || before == '"' || before == '/' || is_space(before))) return std::nullopt;
  if (is_space(s[p]) || s[p] == '/' || s[p] == '>') return std::nullopt;
  std::size_t e = p + 1;
  while (e < n && !is_space(s[e]) && s[e] != '/' && s[e] != '=' && s[e] != '>') ++e;
  AttrMatch m{p, e, match_value(s, e), e, e};
  m.end = m.value ? m.value->end : e;
  return m;
}

std::size_t tag_name_end(U32View s, std::size_t p) {  // [a-zA-Z][^\t\n\r\f />\x00]*
  std::size_t e = p + 1;
  while (e < s.size()) {
    const char32_t c = s[e];
    if (c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == ' ' || c == '/' || c == '>' ||
        c == 0)
      break;
    ++e;
  }
  return e;
}

class Tokenizer {
 public:
  explicit Tokenizer(TreeBuilder& tb) : tb_(tb) {}

  void feed(U32View text) {
    raw_ = U32(text);
    goahead(false);
    goahead(true);
    tb_.finish();
  }

 private:
  void goahead(bool end) {
    const U32View s = raw_;
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
      std::size_t j;
      if (cdata_.empty()) {
        j = i;
        while (j < n && s[j] != '<' && s[j] != '&') ++j;
      } else {
        j = find_cdata_end(s, i);
        if (j == npos) break;
      }
      if (i < j) tb_.data(s.substr(i, j - i));
      i = j;
      if (i == n) break;
      if (s[i] == '<') {
        std::ptrdiff_t k;
        if (i + 1 < n && is_ascii_alpha(s[i + 1]))
          k = parse_starttag(s, i);
        else if (starts_with(s, i, "</"))
          k = parse_endtag(s, i);
        else if (starts_with(s, i, "<!--"))
          k = parse_comment(s, i);
        else if (starts_with(s, i, "<?"))
          k = parse_pi(s, i);
        else if (starts_with(s, i, "<!"))
          k = parse_html_declaration(s, i);
        else if (i + 1 < n) {
          tb_.data(U"<");
          k = static_cast<std::ptrdiff_t>(i + 1);
        } else {
          break;
        }
        if (k < 0) {
          if (!end) break;
          std::size_t kk = find_char(s, '>', i + 1);
          if (kk == npos) {
            kk = find_char(s, '<', i + 1);
            if (kk == npos) kk = i + 1;
          } else {
            kk += 1;
          }
          tb_.data(s.substr(i, kk - i));
          k = static_cast<std::ptrdiff_t>(kk);
        }
        i = static_cast<std::size_t>(k);
      } else if (starts_with(s, i, "&#")) {
        // &#(?:[0-9]+|[xX][0-9a-fA-F]+)[^0-9a-fA-F]
        std::size_t k = i + 2;
        bool hexa = false;
        if (k < n && (s[k] == 'x' || s[k] == 'X')) {
          hexa = true;
          ++k;
        }
        const std::size_t ds = k;
        while (k < n && (hexa ? is_hex(s[k]) : (s[k] >= '0' && s[k] <= '9'))) ++k;
        if (k > ds && k < n && !is_hex(s[k])) {
          charref(s.substr(i + 2, k - i - 2));
          i = s[k] == ';' ? k + 1 : k;
          continue;
        }
        if (find_char(s, ';', i) != npos) {
          tb_.data(s.substr(i, 2));
          i += 2;
        }
        break;
      } else {  // '&'
        // &([a-zA-Z][-.a-zA-Z0-9]*)[^a-zA-Z0-9]
        std::size_t k = i + 1;
        if (k < n && is_ascii_alpha(s[k])) {
          ++k;
          while (k < n && (is_ascii_alnum(s[k]) || s[k] == '-' || s[k] == '.')) ++k;
          if (k == n) {  // no terminator: the regex backtracks to the last '-' or '.'
            while (k > i + 2 && s[k - 1] != '-' && s[k - 1] != '.') --k;
            k = k > i + 2 ? k - 1 : n;
          }
          if (k < n) {
            entityref(s.substr(i + 1, k - i - 1));
            i = s[k] == ';' ? k + 1 : k;
            continue;
          }
        }
        if (i + 1 < n && (is_ascii_alpha(s[i + 1]) || s[i + 1] == '#')) {  // incomplete
          if (end && i + 2 == n) i += 1;
          break;
        } else if (i + 1 < n) {
          tb_.data(U"&");
          i += 1;
        } else {
          break;
        }
      }
    }
    if (end && i < n && cdata_.empty()) {
      tb_.data(s.substr(i));
      i = n;
    }
    raw_ = U32(s.substr(i));
  }

  /// `</\s*NAME\s*>` (case-insensitive) from i.
  std::size_t find_cdata_end(U32View s, std::size_t i) const {
    for (std::size_t p = s.find(U"</", i); p != npos; p = s.find(U"</", p + 1)) {
      std::size_t q = p + 2;
      while (q < s.size() && is_space(s[q])) ++q;
      if (q + cdata_.size() > s.size()) continue;
      bool same = true;
      for (std::size_t k = 0; k < cdata_.size(); ++k) {
        char32_t c = s[q + k];
        if (c >= 'A' && c <= 'Z') c += 32;
        if (c != static_cast<unsigned char>(cdata_[k])) same = false;
      }
      if (!same) continue;
      q += cdata_.size();
      while (q < s.size() && is_space(s[q])) ++q;
      if (q < s.size() && s[q] == '>') return p;
    }
    return npos;
  }

  void charref(U32View name) {
    std::uint64_t num;
    if (name[0] == 'x' || name[0] == 'X')
      num = parse_num(name.substr(1), 16);
    else
      num = parse_num(name, 10);
    char32_t c;
    if (num >= 0x80 && num <= 0x9f)
      c = kCp1252[num - 0x80];
    else if (num > 0x10FFFF || (num >= 0xD800 && num <= 0xDFFF))
      c = 0xFFFD;
    else
      c = static_cast<char32_t>(num);
    const char32_t buf[1] = {c};
    tb_.data(U32View(buf, 1));
  }

  void entityref(U32View name) {
    const std::string n = to_u8(name);
    const Entity* e = find_entity(n + ";");
    if (e == nullptr) e = find_entity(n);
    if (e != nullptr) {
      U32 d;
      append_to(d, e->utf8);
      tb_.data(d);
    } else {
      U32 d = U"&";
      d.append(name);
      tb_.data(d);
    }
  }

  /// check_for_whole_start_tag.
  std::ptrdiff_t whole_start_tag(U32View s, std::size_t i) const {
    const std::size_t n = s.size();
    std::size_t p = tag_name_end(s, i + 1);
    // (?:[\s/]*(?:attribute)*)?
    std::size_t q = p;
    while (q < n && (is_space(s[q]) || s[q] == '/')) ++q;
    while (true) {
      const auto a = match_attr(s, q);
      if (!a) break;
      std::size_t e = a->end;
      if (a->value)
        while (e < n && is_space(s[e])) ++e;
      q = skip_sep(s, e);
    }
    p = q;
    while (p < n && is_space(s[p])) ++p;
    const std::size_t j = p;
    if (j >= n) return -1;
    const char32_t next = s[j];
    if (next == '>') return static_cast<std::ptrdiff_t>(j + 1);
    if (next == '/') {
      if (starts_with(s, j, "/>")) return static_cast<std::ptrdiff_t>(j + 2);
      return -1;
    }
    if (is_ascii_alpha(next) || next == '=' || next == '/') return -1;
    return static_cast<std::ptrdiff_t>(j > i ? j : i + 1);
  }

  std::ptrdiff_t parse_starttag(U32View s, std::size_t i) {
    const std::ptrdiff_t endpos_s = whole_start_tag(s, i);
    if (endpos_s < 0) return endpos_s;
    const auto endpos = static_cast<std::size_t>(endpos_s);
    const std::size_t name_end = tag_name_end(s, i + 1);
    const std::string tag = lower_u8(s.substr(i + 1, name_end - i - 1));
    std::size_t k = skip_sep(s, name_end);
    std::vector<std::pair<std::string, std::optional<std::string>>> attrs;
    while (k < endpos) {
      const auto m = match_attr(s, k);
      if (!m) break;
      std::optional<std::string> value;
      if (m->value) {
        U32View v = s.substr(m->value->vbegin, m->value->vend - m->value->vbegin);
        if (v.size() >= 2 &&
            ((v.front() == '\'' && v.back() == '\'') || (v.front() == '"' && v.back() == '"')))
          v = v.substr(1, v.size() - 2);
        value = v.empty() ? std::string() : to_u8(unescape32(v));
      }
      attrs.emplace_back(lower_u8(s.substr(m->name_begin, m->name_end - m->name_begin)),
                         std::move(value));
      k = skip_sep(s, m->end);
    }
    const U32View rest = strip(k <= endpos ? s.substr(k, endpos - k) : U32View());
    if (rest != U">" && rest != U"/>") {
      tb_.data(s.substr(i, endpos - i));
      return endpos_s;
    }
    if (rest == U"/>") {
      tb_.startend_tag(tag, attrs);
    } else {
      tb_.start_tag(tag, attrs, true);
      if (tag == "script" || tag == "style") cdata_ = tag;
    }
    return endpos_s;
  }

  std::ptrdiff_t parse_endtag(U32View s, std::size_t i) {
    const std::size_t n = s.size();
    std::size_t gt = find_char(s, '>', i + 1);
    if (gt == npos) return -1;
    const std::size_t gtpos = gt + 1;
    // </\s*([a-zA-Z][-.a-zA-Z0-9:_]*)\s*>
    std::size_t p = i + 2;
    while (p < n && is_space(s[p])) ++p;
    std::optional<std::pair<std::size_t, std::size_t>> name;
    if (p < n && is_ascii_alpha(s[p])) {
      std::size_t e = p + 1;
      while (e < n &&
             (is_ascii_alnum(s[e]) || s[e] == '-' || s[e] == '.' || s[e] == ':' || s[e] == '_'))
        ++e;
      std::size_t q = e;
      while (q < n && is_space(s[q])) ++q;
      if (q < n && s[q] == '>') name = std::make_pair(p, e);
    }
    if (!name) {
      if (!cdata_.empty()) {
        tb_.data(s.substr(i, gtpos - i));
        return static_cast<std::ptrdiff_t>(gtpos);
      }
      if (!(i + 2 < n && is_ascii_alpha(s[i + 2]))) {
        if (starts_with(s, i, "</>")) return static_cast<std::ptrdiff_t>(i + 3);
        return parse_bogus_comment(s, i);
      }
      const std::size_t ne = tag_name_end(s, i + 2);
      const std::string tagname = lower_u8(s.substr(i + 2, ne - i - 2));
      const std::size_t g = find_char(s, '>', skip_sep(s, ne));
      tb_.end_tag(tagname);
      return static_cast<std::ptrdiff_t>(g + 1);
    }
    const std::string elem = lower_u8(s.substr(name->first, name->second - name->first));
    if (!cdata_.empty() && elem != cdata_) {
      tb_.data(s.substr(i, gtpos - i));
      return static_cast<std::ptrdiff_t>(gtpos);
    }
    tb_.end_tag(elem);
    cdata_.clear();
    return static_cast<std::ptrdiff_t>(gtpos);
  }

  std::ptrdiff_t parse_comment(U32View s, std::size_t i) {
    // --\s*>
    for (std::size_t p = s.find(U"--", i + 4); p != npos; p = s.find(U"--", p + 1)) {
      std::size_t q = p + 2;
      while (q < s.size() && is_space(s[q])) ++q;
      if (q < s.size() && s[q] == '>') {
        tb_.special(Node::Kind::Comment, s.substr(i + 4, p - i - 4));
        return static_cast<std::ptrdiff_t>(q + 1);
      }
    }
    return -1;
  }

  std::ptrdiff_t parse_pi(U32View s, std::size_t i) {
    const std::size_t gt = find_char(s, '>', i + 2);
    if (gt == npos) return -1;
    tb_.special(Node::Kind::ProcessingInstruction, s.substr(i + 2, gt - i - 2));
    return static_cast<std::ptrdiff_t>(gt + 1);
  }

  std::ptrdiff_t parse_bogus_comment(U32View s, std::size_t i) {
    const std::size_t gt = find_char(s, '>', i + 2);
    if (gt == npos) return -1;
    tb_.special(Node::Kind::Comment, s.substr(i + 2, gt - i - 2));
    return static_cast<std::ptrdiff_t>(gt + 1);
  }

  std::ptrdiff_t parse_html_declaration(U32View s, std::size_t i) {
    if (starts_with(s, i, "<!--")) return parse_comment(s, i);
    if (starts_with(s, i, "<![")) return parse_marked_section(s, i);
    if (i + 9 <= s.size()) {
      const std::string head = harm::uni::lower(to_u8(s.substr(i, 9)));
      if (head == "<!doctype") {
        const std::size_t gt = find_char(s, '>', i + 9);
        if (gt == npos) return -1;
        U32View d = s.substr(i + 2, gt - i - 2);
        d = d.size() > 8 ? d.substr(8) : U32View();  // bs4 drops len("DOCTYPE ") characters
        tb_.special(Node::Kind::Doctype, d);
        return static_cast<std::ptrdiff_t>(gt + 1);
      }
    }
    return parse_bogus_comment(s, i);
  }

  std::ptrdiff_t parse_marked_section(U32View s, std::size_t i) {
    // _scan_name at i+3: [a-zA-Z][-_.a-zA-Z0-9]*\s*
    const std::size_t n = s.size();
    std::size_t p = i + 3;
    if (p >= n) return -1;
    if (!is_ascii_alpha(s[p]))
      throw std::runtime_error("ParserRejectedMarkup: expected name token in marked section");
    std::size_t e = p + 1;
    while (e < n && (is_ascii_alnum(s[e]) || s[e] == '-' || s[e] == '_' || s[e] == '.')) ++e;
    std::size_t q = e;
    while (q < n && is_space(s[q])) ++q;
    if (q == n) return -1;
    const std::string sect = harm::uni::lower(to_u8(s.substr(p, e - p)));
    std::size_t close = npos, close_end = 0;
    auto search = [&](bool two) {  // ]\s*]\s*> or ]\s*>
      for (std::size_t a = find_char(s, ']', i + 3); a != npos; a = find_char(s, ']', a + 1)) {
        std::size_t b = a + 1;
        while (b < n && is_space(s[b])) ++b;
        if (two) {
          if (b >= n || s[b] != ']') continue;
          ++b;
          while (b < n && is_space(s[b])) ++b;
        }
        if (b < n && s[b] == '>') {
          close = a;
          close_end = b + 1;
          return;
        }
      }
    };
    if (sect == "temp" || sect == "cdata" || sect == "ignore" || sect == "include" ||
        sect == "rcdata")
      search(true);
    else if (sect == "if" || sect == "else" || sect == "endif")
      search(false);
    else
      throw std::runtime_error("ParserRejectedMarkup: unknown status keyword in marked section");
    if (close == npos) return -1;
    U32View d = s.substr(i + 3, close - i - 3);
    const std::string head =
        harm::uni::upper(to_u8(d.substr(0, std::min<std::size_t>(6, d.size()))));
    if (head == "CDATA[")
      tb_.special(Node::Kind::CData, d.substr(6));
    else
      tb_.special(Node::Kind::Declaration, d);
    return static_cast<std::ptrdiff_t>(close_end);
  }

  TreeBuilder& tb_;
  U32 raw_;
  std::string cdata_;  ///< open script/style element (CDATA content mode)
};

}  // namespace

Document::Document(std::string_view utf8) {
  root_ = make(Node::Kind::Document);
  root_->name = "[document]";
  TreeBuilder tb(*this, root_);
  Tokenizer tok(tb);
  tok.feed(to_u32(utf8));
}

Node* Document::make(Node::Kind kind) {
  nodes_.emplace_back();
  nodes_.back().kind = kind;
  return &nodes_.back();
}

// --- queries and output ---------------------------------------------------------------------

namespace {
void collect(const Node& n, std::string_view name, std::string_view attr,
             const std::optional<std::string>* value, std::vector<const Node*>& out) {
  for (const Node* c : n.children) {
    if (c->kind != Node::Kind::Element) continue;
    if (c->name == name) {
      bool ok = true;
      if (value != nullptr) {
        const Node::Attr* a = c->attr(attr);
        if (!value->has_value()) {
          ok = a == nullptr;
        } else if (a == nullptr) {
          ok = false;
        } else if (a->is_list) {
          ok = std::find(a->tokens.begin(), a->tokens.end(), **value) != a->tokens.end() ||
               a->joined() == **value;
        } else {
          ok = a->value == **value;
        }
      }
      if (ok) out.push_back(c);
    }
    collect(*c, name, attr, value, out);
  }
}

void text_of(const Node& n, std::string& out) {
  for (const Node* c : n.children) {
    if (c->kind == Node::Kind::Text || c->kind == Node::Kind::CData)
      out.append(c->text);
    else if (c->kind == Node::Kind::Element)
      text_of(*c, out);
  }
}

void escape_into(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      default:
        out.push_back(c);
    }
  }
}

/// re.sub(r"((^|;)\s*charset=)([^;]*)", r"\1utf-8", value, flags=re.M)
std::string rewrite_charset(std::string_view v) {
  std::string out;
  std::size_t i = 0;
  while (i <= v.size()) {
    // a match starts at a line start or at ';'
    const bool line_start = i == 0 || v[i - 1] == '\n';
    std::size_t p = i;
    bool at = false;
    if (p < v.size() && v[p] == ';') {
      ++p;
      at = true;
    } else if (line_start) {
      at = true;
    }
    if (at) {
      std::size_t q = p;
      while (q < v.size()) {
        std::size_t r = q;
        if (!harm::uni::is_space(harm::uni::next_code_point(v, r))) break;
        q = r;
      }
      if (v.substr(q, 8) == "charset=") {
        q += 8;
        out.append(v.substr(i, q - i)).append("utf-8");
        while (q < v.size() && v[q] != ';') ++q;
        i = q;
        continue;
      }
    }
    if (i < v.size()) out.push_back(v[i]);
    ++i;
  }
  return out;
}

void write(const Node& n, std::string& out) {
  switch (n.kind) {
    case Node::Kind::Document:
      for (const Node* c : n.children) write(*c, out);
      return;
    case Node::Kind::Text:
    case Node::Kind::SpecialText:
      if (n.parent != nullptr && (n.parent->name == "script" || n.parent->name == "style"))
        out.append(n.text);
      else
        escape_into(out, n.text);
      return;
    case Node::Kind::CData:
      out.append("<![CDATA[").append(n.text).append("]]>");
      return;
    case Node::Kind::Comment:
      out.append("<!--").append(n.text).append("-->");
      return;
    case Node::Kind::Doctype:
      out.append("<!DOCTYPE ").append(n.text).append(">\n");
      return;
    case Node::Kind::Declaration:  // BeautifulSoup writes declarations this way
      out.append("<?").append(n.text).append("?>");
      return;
    case Node::Kind::ProcessingInstruction:
      out.append("<?").append(n.text).append(">");
      return;
    case Node::Kind::Element:
      break;
  }
  out.push_back('<');
  out.append(n.name);
  std::vector<const Node::Attr*> attrs;
  for (const auto& a : n.attrs) attrs.push_back(&a);
  std::sort(attrs.begin(), attrs.end(),
            [](const Node::Attr* a, const Node::Attr* b) { return a->name < b->name; });
  // <meta> charset declarations are written for the output encoding (UTF-8)
  const bool meta = n.name == "meta";
  const Node::Attr* http_equiv = meta ? n.attr("http-equiv") : nullptr;
  const bool content_type = meta && n.attr("charset") == nullptr && http_equiv != nullptr &&
                            harm::uni::lower(http_equiv->joined()) == "content-type";
  for (const Node::Attr* a : attrs) {
    out.push_back(' ');
    out.append(a->name);
    out.push_back('=');
    std::string v;
    if (meta && a->name == "charset")
      escape_into(v, "utf-8");
    else if (content_type && a->name == "content")
      escape_into(v, rewrite_charset(a->joined()));
    else
      escape_into(v, a->joined());
    char quote = '"';
    if (v.find('"') != std::string::npos) {
      if (v.find('\'') != std::string::npos) {
        std::string r;
        for (char c : v) {
          if (c == '"')
            r.append("&quot;");
          else
            r.push_back(c);
        }
        v = std::move(r);
      } else {
        quote = '\'';
      }
    }
    out.push_back(quote);
    out.append(v);
    out.push_back(quote);
  }
  if (n.is_empty_element()) {
    out.append("/>");
    return;
  }
  out.push_back('>');
  for (const Node* c : n.children) write(*c, out);
  out.append("</").append(n.name).append(">");
}
}  // namespace

std::vector<const Node*> find_all(const Node& n, std::string_view name) {
  std::vector<const Node*> out;
  collect(n, name, {}, nullptr, out);
  return out;
}

std::vector<const Node*> find_all(const Node& n, std::string_view name, std::string_view attr,
                                  const std::optional<std::string>& value) {
  std::vector<const Node*> out;
  collect(n, name, attr, &value, out);
  return out;
}

std::string get_text(const Node& n) {
  std::string out;
  text_of(n, out);
  return out;
}

std::string serialize(const Node& n) {
  std::string out;
  write(n, out);
  return out;
}

}  // namespace intelflow::bots::html
