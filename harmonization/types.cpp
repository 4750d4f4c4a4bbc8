// SPDX-License-Identifier: AGPL-3.0-or-later
// The harmonization types: dispatch and the string/number/enumeration types.
// IP, URL, FQDN, number and JSON machinery lives in types_*.cpp.
#include "harmonization/types.hpp"

#include <array>
#include <cmath>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "harmonization/datetime.hpp"
#include "harmonization/errors.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/types_detail.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::harm {

using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr std::array<std::string_view, kTypeCount> kTypeNames = {"Accuracy",
                                                                 "ASN",
                                                                 "Base64",
                                                                 "Boolean",
                                                                 "ClassificationTaxonomy",
                                                                 "ClassificationType",
                                                                 "DateTime",
                                                                 "FQDN",
                                                                 "Float",
                                                                 "GenericType",
                                                                 "Integer",
                                                                 "IPAddress",
                                                                 "IPNetwork",
                                                                 "JSON",
                                                                 "JSONDict",
                                                                 "LowercaseString",
                                                                 "Registry",
                                                                 "String",
                                                                 "TLP",
                                                                 "UppercaseString",
                                                                 "URL"};

/// classification.type values (core.md §2.5).
constexpr std::string_view kClassificationTypes[] = {
    "spam",
    "harmful-speech",
    "violence",  // abusive-content
    "ddos",
    "dos",
    "outage",
    "sabotage",
    "misconfiguration",  // availability
    "copyright",
    "masquerade",
    "phishing",
    "unauthorized-use-of-resources",  // fraud
    "unauthorised-information-access",
    "unauthorised-information-modification",
    "data-loss",
    "data-leak",  // information-content-security
    "scanner",
    "sniffing",
    "social-engineering",  // information-gathering
    "brute-force",
    "exploit",
    "ids-alert",  // intrusion-attempts
    "application-compromise",
    "burglary",
    "privileged-account-compromise",
    "system-compromise",
    "unprivileged-account-compromise",  // intrusions
    "c2-server",
    "infected-system",
    "malware-configuration",
    "malware-distribution",
    "dga-domain",
    "blacklist",
    "other",
    "undetermined",
    "malware",
    "proxy",
    "tor",  // other
    "test",
    "ddos-amplifier",
    "information-disclosure",
    "potentially-unwanted-accessible",
    "vulnerable-system",
    "weak-crypto",  // vulnerable
};

struct Alias {
  std::string_view from, to;
};

/// Old classification.type values mapped by sanitize.
constexpr Alias kClassificationTypeAliases[] = {
    {"botnet drone", "infected-system"},
    {"ids alert", "ids-alert"},
    {"c&c", "c2-server"},
    {"c2server", "c2-server"},
    {"infected system", "infected-system"},
    {"malware configuration", "malware-configuration"},
    {"vulnerable client", "vulnerable-system"},
    {"vulnerable service", "vulnerable-system"},
    {"leak", "data-leak"},
    {"ransomware", "infected-system"},
    {"unknown", "undetermined"},
    {"dga domain", "dga-domain"},
    {"unauthorized-login", "system-compromise"},
    {"unauthorized-command", "system-compromise"},
    {"compromised", "system-compromise"},
    {"backdoor", "system-compromise"},
    {"defacement", "unauthorised-information-modification"},
    {"dropzone", "other"},
};

constexpr std::string_view kTaxonomies[] = {"abusive-content",
                                            "availability",
                                            "fraud",
                                            "information-content-security",
                                            "information-gathering",
                                            "intrusion-attempts",
                                            "intrusions",
                                            "malicious-code",
                                            "other",
                                            "test",
                                            "vulnerable"};

constexpr Alias kTaxonomyAliases[] = {
    {"abusive content", "abusive-content"},
    {"information gathering", "information-gathering"},
    {"intrusion attempts", "intrusion-attempts"},
    {"malicious code", "malicious-code"},
};

constexpr std::string_view kRegistries[] = {"AFRINIC", "APNIC", "ARIN", "LACNIC", "RIPE"};
constexpr std::string_view kTlps[] = {"WHITE", "GREEN", "AMBER", "RED"};

template <std::size_t N>
bool contains(const std::string_view (&a)[N], std::string_view s) {
  if (s.empty()) return false;
  for (auto x : a)
    if (x.size() == s.size() && x[0] == s[0] && x == s) return true;
  return false;
}

template <std::size_t N>
std::string_view apply_alias(const Alias (&a)[N], std::string_view s) {
  for (const auto& x : a)
    if (x.from == s) return x.to;
  return s;
}

// --- GenericType / String ------------------------------------------------------------

/// GenericType.sanitize.
Value generic_sanitize(const Value& v) {
  if (!v.truthy()) return Value();
  if (v.is_string()) return Value::string(uni::strip(v.as_string()));
  if (v.is_bytes()) {
    const std::string s = uni::decode_utf8_ignore(v.as_string());
    return Value::string(uni::strip(s));
  }
  return Value::string(py::str(v));
}

/// GenericType.sanitize taking the storage of a string value that needs no
/// stripping (only when the result is not Null).
Value generic_sanitize_owned(Value& v) {
  if (v.is_string()) {
    const std::string_view s = uni::strip(v.as_string());
    if (s.empty()) return Value();
    if (s.size() == v.as_string().size()) return std::move(v);
    return Value::string(s);
  }
  return generic_sanitize(v);
}

std::string ascii_case_bytes(std::string_view b, bool up) {
  std::string out(b);
  for (char& c : out) {
    if (up && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (!up && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

/// LowercaseString.sanitize / UppercaseString.sanitize: value.lower() then String.sanitize.
Value case_sanitize(const Value& v, bool up) {
  if (v.is_string()) {
    return generic_sanitize(
        Value::string(up ? uni::upper(v.as_string()) : uni::lower(v.as_string())));
  }
  if (v.is_bytes()) return generic_sanitize(Value::bytes(ascii_case_bytes(v.as_string(), up)));
  return Value();  // AttributeError: no .lower()
}

// --- Base64 ------------------------------------------------------------------------------

constexpr char kB64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The two output characters of every 12-bit group (8 KiB): one lookup per half of a
/// 3-byte block.
struct B64Pairs {
  std::array<char, 8192> t{};
  constexpr B64Pairs() {
    for (std::size_t i = 0; i < 4096; ++i) {
      t[2 * i] = kB64Alphabet[i >> 6];
      t[2 * i + 1] = kB64Alphabet[i & 63];
    }
  }
};
constexpr B64Pairs kB64Pairs;

std::string b64encode(std::string_view in) {
  const char* kAlphabet = kB64Alphabet;
  std::string out((in.size() + 2) / 3 * 4, '=');
  char* o = out.data();
  const auto* u = reinterpret_cast<const unsigned char*>(in.data());
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3, o += 4) {
    const unsigned v = (unsigned{u[i]} << 16) | (unsigned{u[i + 1]} << 8) | u[i + 2];
    std::memcpy(o, &kB64Pairs.t[2 * (v >> 12)], 2);
    std::memcpy(o + 2, &kB64Pairs.t[2 * (v & 0xFFF)], 2);
  }
  const std::size_t rest = in.size() - i;
  if (rest) {  // the '=' padding is already in place
    unsigned v = unsigned{u[i]} << 16;
    if (rest == 2) v |= unsigned{u[i + 1]} << 8;
    o[0] = kAlphabet[(v >> 18) & 63];
    o[1] = kAlphabet[(v >> 12) & 63];
    if (rest == 2) o[2] = kAlphabet[(v >> 6) & 63];
  }
  return out;
}

struct B64Table {
  std::array<bool, 256> t{};
  constexpr B64Table() {
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    t['+'] = t['/'] = true;
  }
};
constexpr B64Table kB64;

bool b64_char(char c) noexcept {
  return kB64.t[static_cast<unsigned char>(c)];
}

/// Length of the leading run of base64 alphabet characters (16 at a time with SSE2).
std::size_t b64_alphabet_run(std::string_view s) noexcept {
  const char* p = s.data();
  const std::size_t n = s.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  // Signed byte compares: bytes >= 0x80 are negative and fall in no range.
  const __m128i a1 = _mm_set1_epi8('A' - 1), z1 = _mm_set1_epi8('Z' + 1);
  const __m128i la1 = _mm_set1_epi8('a' - 1), lz1 = _mm_set1_epi8('z' + 1);
  const __m128i s1 = _mm_set1_epi8('/' - 1), d1 = _mm_set1_epi8('9' + 1);  // '/' and 0-9
  const __m128i plus = _mm_set1_epi8('+');
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i up = _mm_and_si128(_mm_cmpgt_epi8(x, a1), _mm_cmplt_epi8(x, z1));
    const __m128i lo = _mm_and_si128(_mm_cmpgt_epi8(x, la1), _mm_cmplt_epi8(x, lz1));
    const __m128i dg = _mm_and_si128(_mm_cmpgt_epi8(x, s1), _mm_cmplt_epi8(x, d1));
    const __m128i ok =
        _mm_or_si128(_mm_or_si128(up, lo), _mm_or_si128(dg, _mm_cmpeq_epi8(x, plus)));
    const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(ok));
    if (m != 0xFFFFu) return i + static_cast<std::size_t>(__builtin_ctz(~m));
  }
#endif
  while (i < n && kB64.t[static_cast<unsigned char>(p[i])]) ++i;
  return i;
}

/// binascii.a2b_base64 (non-strict): characters outside the alphabet are skipped;
/// throws (binascii.Error) when the data characters end inside a quad.
void b64_check(std::string_view s) {
  // Fast path: a leading run of alphabet characters needs no per-character state.
  const std::size_t run = b64_alphabet_run(s);
  int quad_pos = static_cast<int>(run & 3), pads = 0;
  for (std::size_t i = run; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '=') {
      if (quad_pos >= 2 && quad_pos + ++pads >= 4) return;
      continue;
    }
    if (!b64_char(c)) continue;
    pads = 0;
    quad_pos = (quad_pos + 1) & 3;
  }
  if (quad_pos == 1)
    raise_value_error(
        "binascii.Error: Invalid base64-encoded string: number of data "
        "characters cannot be 1 more than a multiple of 4");
  if (quad_pos != 0) raise_value_error("binascii.Error: Incorrect padding");
}

// --- numbers ----------------------------------------------------------------------------

bool in_accuracy_range(const Value& v) {
  switch (v.kind()) {
    case Kind::Int:
      return v.as_int() >= 0 && v.as_int() <= 100;
    case Kind::Float:
      return v.as_float() >= 0 && v.as_float() <= 100;
    default:
      return false;
  }
}

bool asn_in_range(const Value& v) {
  return v.is_int() && v.as_int() > 0 && v.as_int() <= 4294967295LL;
}

Value asn_sanitize(const Value& v) {
  Value x;
  if (v.is_string()) {
    std::string_view s = v.as_string();
    // value.lower().startswith('as'): only 'a'/'A' and 's'/'S' lowercase to those.
    if (s.size() >= 2 && (s[0] == 'a' || s[0] == 'A') && (s[1] == 's' || s[1] == 'S')) {
      x = py_int(Value::string(s.substr(2)));
    } else {
      x = py_int(v);
    }
  } else {
    x = py_int(v);
  }
  if (x.truthy() && asn_in_range(x)) return x;
  return Value();
}

// --- IPAddress / IPNetwork -------------------------------------------------------------

bool ip_address_valid_text(std::string_view s) {
  if (s.empty()) return false;
  const auto a = parse_ip_address(s);
  if (!a) return false;
  if (a->version == 4) return a->value != 0;  // an IPv4 address has no '%'
  return s.find('%') == std::string_view::npos;
}

/// A formatted address as the sanitizer returns it; `valid`: whether
/// IPAddress.is_valid accepts it (every address but 0.0.0.0; no scope id is
/// ever formatted here).
Value formatted_ip(const IpAddr& a, bool& valid) {
  valid = !(a.version == 4 && a.value == 0) && a.scope.empty();
  return Value::string(format_ip(a));
}

/// ipaddress.ip_address(int): IPv4 below 2**32, IPv6 below 2**128.
Value ip_from_integer(const Value& v, bool& valid) {
  valid = false;
  IpAddr a;
  if (v.is_bool() || v.is_int()) {
    const std::int64_t i = v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int();
    if (i < 0) return Value();
    a.version = i <= 0xFFFFFFFFLL ? 4 : 6;
    a.value = static_cast<u128>(i);
  } else {  // BigInt: digits, maybe negative
    std::string_view d = v.as_string();
    if (!d.empty() && d[0] == '-') return Value();
    u128 acc = 0;
    for (char c : d) {
      const u128 next = acc * 10 + static_cast<u128>(c - '0');
      if (acc > (~static_cast<u128>(0)) / 10 || next < acc * 10) return Value();
      acc = next;
    }
    a.version = acc <= 0xFFFFFFFFu ? 4 : 6;
    a.value = acc;
  }
  return formatted_ip(a, valid);
}

/// str(value) == str(int(value)) for a str: canonical decimal digits.
bool canonical_decimal(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  if (s.empty() || s.size() > 4300) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  if (s.size() > 1 && s[0] == '0') return false;
  return true;
}

/// IPAddress.sanitize; `valid` tells whether the result passes IPAddress.is_valid.
Value ip_address_sanitize(const Value& v, bool& valid) {
  valid = false;
  if (v.is_bool() || v.is_int() || v.is_bigint()) return ip_from_integer(v, valid);
  std::string_view s;
  std::string decoded;  // bytes input only
  if (v.is_string()) {
    s = uni::strip(v.as_string());
  } else {
    const Value g = generic_sanitize(v);
    if (!g.is_string()) return Value();
    decoded = g.as_string();
    s = decoded;
  }
  if (s.empty()) return Value();  // falsy input, or only whitespace
  if (canonical_decimal(s)) {
    if (s[0] == '-') return Value();
    return ip_from_integer(make_integer(s), valid);
  }
  if (const std::size_t pct = s.find('%'); pct != std::string_view::npos) s = s.substr(0, pct);
  const auto net = parse_ip_network(s, true);
  if (!net) return Value();
  const int bits = net->addr.version == 4 ? 32 : 128;
  if (net->prefix != bits) return Value();  // more than one address
  // the formatted address has no surrounding whitespace: String.sanitize keeps it
  return formatted_ip(net->addr, valid);
}

bool ip_network_valid_text(std::string_view s) {
  return !s.empty() && parse_ip_network(s, true).has_value();
}

Value ip_network_sanitize(const Value& v) {
  const Value g = generic_sanitize(v);
  const std::string text = g.is_string() ? g.as_string() : std::string("None");
  const auto net = parse_ip_network(text, false);
  if (!net) return Value();
  return generic_sanitize(Value::string(format_net(*net)));
}

// --- URL ----------------------------------------------------------------------------------

bool url_has_netloc(std::string_view s) {
  if (has_unsafe_url_bytes(s)) {
    const std::string clean = strip_unsafe_url_bytes(s);
    return !url_netloc(clean).empty();
  }
  return !url_netloc(s).empty();
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != b[i]) return false;
  }
  return true;
}

/// URL.sanitize. A non-null result always passes URL.is_valid (it has a netloc,
/// found by the same urlsplit the check runs). With `owner` (== &v), a string
/// value that needs no change is moved into the result (only when there is one).
Value url_sanitize(const Value& v, Value* owner = nullptr) {
  if (v.is_string()) {
    const std::string_view s = uni::strip(v.as_string());
    if (s.empty()) return Value();
    if (s.find("hxxp") == std::string_view::npos && !has_unsafe_url_bytes(s)) {
      const UrlViews parts = url_split_views(s);
      if (!parts.netloc.empty()) {
        if (owner && s.size() == v.as_string().size()) return std::move(*owner);
        return Value::string(s);
      }
      if (!iequals_ascii(parts.scheme, "file")) return Value();
    }
  }
  std::string value;
  if (v.is_string()) {
    value.assign(uni::strip(v.as_string()));
  } else {
    Value g = generic_sanitize(v);
    if (!g.is_string() || g.as_string().empty()) return Value();
    value = std::move(g.mutable_string());
  }
  replace_all(value, "hxxp://", "http://");
  replace_all(value, "hxxps://", "https://");
  url::SplitResult r = url::split(value);
  if (r.scheme == "file" && r.netloc.empty()) {
    r.netloc = "localhost";
    value = url::unsplit(r);
    r = url::split(value);
  }
  if (r.netloc.empty()) return Value();
  return Value::string(std::move(value));
}

// --- FQDN -----------------------------------------------------------------------------------

std::string_view strip_dots(std::string_view s) {
  while (!s.empty() && s.front() == '.') s.remove_prefix(1);
  while (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

Value fqdn_sanitize(const Value& v) {
  const Value g = generic_sanitize(v);
  if (!g.is_string()) return Value();
  const std::string_view s = strip_dots(g.as_string());
  if (s.empty()) return Value();
  auto enc = idna_encode(s);
  if (!enc) return Value();  // UnicodeError
  for (char& c : *enc)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return Value::string(std::move(*enc));
}

/// Character classes of the FQDN fast path: 1 = letter a-z, '-' or '_'; 2 = digit; 3 = '.'.
struct FqdnTable {
  std::array<std::uint8_t, 256> t{};
  constexpr FqdnTable() {
    for (int c = 'a'; c <= 'z'; ++c) t[c] = 1;
    t['-'] = t['_'] = 1;
    for (int c = '0'; c <= '9'; ++c) t[c] = 2;
    t['.'] = 3;
  }
};
constexpr FqdnTable kFqdnChars;

bool fqdn_valid_text(std::string_view s) {
  if (s.empty()) return false;
  {
    // Fast path: lowercase letters, digits, '-', '_' and '.' with at least one
    // non-digit (so no IP address). Such text has no scheme, netloc, query,
    // fragment or '/', is lowercase and ASCII: only the dots and the label
    // lengths remain to be checked, as below.
    bool plain = true, letter = false;
    for (const char c : s) {
      const std::uint8_t k = kFqdnChars.t[static_cast<unsigned char>(c)];
      plain &= k != 0;
      letter |= k == 1;
    }
    if (plain && letter) {
      if (s.front() == '.' || s.back() == '.') return false;
      if (!idna_ascii_ok(s)) raise_value_error("UnicodeError: label empty or too long");
      return true;
    }
  }
  if (s.front() == '.' || s.back() == '.') return false;
  if (!uni::is_lower_invariant(s)) return false;
  if (s.find(':') != std::string_view::npos) return false;
  if (ip_address_valid_text(s)) return false;
  {
    std::string clean;
    std::string_view t = s;
    if (has_unsafe_url_bytes(s)) {
      clean = strip_unsafe_url_bytes(s);
      t = clean;
    }
    const UrlViews u = url_split_views(t);
    if (u.has_scheme || !u.netloc.empty() || !u.query.empty() || !u.fragment.empty() ||
        u.path.find('/') != std::string_view::npos)
      return false;
  }
  if (uni::is_ascii(s)) {
    if (!idna_ascii_ok(s)) raise_value_error("UnicodeError: label empty or too long");
    return true;
  }
  if (!idna_encode(s)) raise_value_error("UnicodeError: encoding with 'idna' codec failed");
  return false;  // the encoded form is ASCII, so it differs from the input
}

// --- JSON -----------------------------------------------------------------------------------

Value json_sanitize(const Value& v, bool dict) {
  if (dict ? !v.truthy() : v.is_null()) return Value();
  if (v.is_string() || v.is_bytes()) {
    Value g = generic_sanitize(v);
    if (g.is_string()) {
      const JsonShape shape = json_shape(g.as_string());
      if (dict ? shape == JsonShape::Object : shape != JsonShape::Invalid) return g;
    }
  }
  std::string text;
  try {
    text = py::json_dumps(v, py::JsonOptions{true, true});
  } catch (const HarmonizationError& e) {
    if (e.kind() == ErrorKind::ValueError) return Value();  // TypeError: not serializable
    throw;
  }
  return generic_sanitize(Value::string(std::move(text)));
}

// --- TLP / Registry / classification -------------------------------------------------------

Value tlp_sanitize(const Value& v) {
  Value u = case_sanitize(v, true);
  if (!u.is_string() || u.as_string().empty()) return Value();
  std::string_view s = u.as_string();
  std::size_t i = 0;
  if (s.compare(0, 3, "TLP") == 0) {
    i = 3;
    if (i < s.size() && s[i] == ':') ++i;
  }
  while (i < s.size()) {
    std::size_t j = i;
    if (!uni::is_space(uni::next_code_point(s, j))) break;
    i = j;
  }
  s.remove_prefix(i);
  if (s == "YELLOW") s = "AMBER";
  return Value::string(s);
}

Value registry_sanitize(const Value& v) {
  Value u = case_sanitize(v, true);
  if (u.is_string() && (u.as_string() == "RIPENCC" || u.as_string() == "RIPE-NCC"))
    return Value::string("RIPE");
  return u;
}

template <std::size_t N>
Value classification_sanitize(const Value& v, const Alias (&aliases)[N]) {
  Value l = case_sanitize(v, false);
  if (!l.is_string() || l.as_string().empty()) return Value();
  return Value::string(apply_alias(aliases, l.as_string()));
}

// --- validity of text values (the unserialize fast path) -------------------------------------

bool valid_text(TypeId t, std::string_view s) {
  switch (t) {
    case TypeId::GenericType:
    case TypeId::String:
      return !s.empty();
    case TypeId::LowercaseString:
      return !s.empty() && uni::is_lower_invariant(s);
    case TypeId::UppercaseString:
      return !s.empty() && uni::is_upper_invariant(s);
    case TypeId::Base64:
      b64_check(s);
      return !s.empty();
    case TypeId::Boolean:
    case TypeId::Integer:
    case TypeId::Float:
    case TypeId::Accuracy:
    case TypeId::ASN:
      return false;
    case TypeId::ClassificationType:
      return contains(kClassificationTypes, s);
    case TypeId::ClassificationTaxonomy:
      return contains(kTaxonomies, s);
    case TypeId::Registry:
      return contains(kRegistries, s);
    case TypeId::TLP:
      return contains(kTlps, s);
    case TypeId::DateTime:
      return datetime::is_valid_string(s);
    case TypeId::FQDN:
      return fqdn_valid_text(s);
    case TypeId::IPAddress:
      return ip_address_valid_text(s);
    case TypeId::IPNetwork:
      return ip_network_valid_text(s);
    case TypeId::URL:
      return !s.empty() && url_has_netloc(s);
    case TypeId::JSON:
      return json_shape(s) != JsonShape::Invalid;
    case TypeId::JSONDict:
      return json_shape(s) == JsonShape::Object;
  }
  return false;
}

}  // namespace

std::optional<TypeId> type_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i)
    if (kTypeNames[i] == name) return static_cast<TypeId>(i);
  return std::nullopt;
}

std::string_view type_name(TypeId t) noexcept {
  const auto i = static_cast<std::size_t>(t);
  return i < kTypeNames.size() ? kTypeNames[i] : std::string_view("?");
}

Value sanitize(TypeId t, const Value& v) {
  switch (t) {
    case TypeId::GenericType:
    case TypeId::String:
      return generic_sanitize(v);
    case TypeId::LowercaseString:
      return case_sanitize(v, false);
    case TypeId::UppercaseString:
      return case_sanitize(v, true);
    case TypeId::Base64:
      if (v.is_string() || v.is_bytes()) return Value::string(b64encode(v.as_string()));
      return Value();
    case TypeId::Boolean: {
      if (v.is_string()) {
        const std::string l = uni::lower(uni::strip(v.as_string()));
        if (l == "true") return Value::boolean(true);
        if (l == "false") return Value::boolean(false);
        return Value();
      }
      if (v.is_bool()) return v;
      if (v.is_int() && (v.as_int() == 0 || v.as_int() == 1))
        return Value::boolean(v.as_int() == 1);
      return Value();  // bytes never equal a str; floats are no ints
    }
    case TypeId::Integer:
      return py_int(v);
    case TypeId::Float: {
      const auto f = py_float(v);
      return f ? Value::floating(*f) : Value();
    }
    case TypeId::Accuracy: {
      if (v.is_bool()) return Value::floating(v.as_bool() ? 100.0 : 0.0);
      const auto f = py_float(v);
      if (f && *f >= 0 && *f <= 100) return Value::floating(*f);
      return Value();
    }
    case TypeId::ASN:
      return asn_sanitize(v);
    case TypeId::ClassificationType:
      return classification_sanitize(v, kClassificationTypeAliases);
    case TypeId::ClassificationTaxonomy:
      return classification_sanitize(v, kTaxonomyAliases);
    case TypeId::Registry:
      return registry_sanitize(v);
    case TypeId::TLP:
      return tlp_sanitize(v);
    case TypeId::DateTime:
      return datetime::sanitize(v);
    case TypeId::FQDN:
      return fqdn_sanitize(v);
    case TypeId::IPAddress: {
      bool valid = false;
      return ip_address_sanitize(v, valid);
    }
    case TypeId::IPNetwork:
      return ip_network_sanitize(v);
    case TypeId::URL:
      return url_sanitize(v);
    case TypeId::JSON:
      return json_sanitize(v, false);
    case TypeId::JSONDict:
      return json_sanitize(v, true);
  }
  return Value();
}

Value sanitize_for_add(TypeId t, Value& v, bool& known_valid) {
  known_valid = false;
  switch (t) {
    case TypeId::GenericType:
    case TypeId::String: {
      Value r = generic_sanitize_owned(v);
      known_valid = r.is_string() && !r.as_string().empty();
      return r;
    }
    case TypeId::Base64: {
      if (!v.is_string() && !v.is_bytes()) return Value();
      std::string enc = b64encode(v.as_string());
      known_valid = !enc.empty();  // our own encoding: b64_check cannot fail
      return Value::string(std::move(enc));
    }
    case TypeId::IPAddress:
      return ip_address_sanitize(v, known_valid);
    case TypeId::URL: {
      Value r = url_sanitize(v, &v);
      known_valid = !r.is_null();
      return r;
    }
    default:
      return sanitize(t, v);
  }
}

bool is_valid(TypeId t, const Value& v, bool do_sanitize) {
  if (do_sanitize) {
    if (t == TypeId::LowercaseString) return is_valid(t, case_sanitize(generic_sanitize(v), false));
    if (t == TypeId::DateTime) return datetime::is_valid(datetime::sanitize(v));
    return is_valid(t, sanitize(t, v), false);
  }
  if (v.is_string()) return valid_text(t, v.as_string());
  switch (t) {
    case TypeId::Boolean:
      return v.is_bool();
    case TypeId::Integer:
      return v.is_int() || v.is_bigint();
    case TypeId::Float:
      return v.is_int() || v.is_bigint() || v.is_float();
    case TypeId::Accuracy:
      return v.is_bool() || in_accuracy_range(v);
    case TypeId::ASN:
      return asn_in_range(v);
    case TypeId::Base64:
      if (v.is_bytes()) b64_check(v.as_string());  // may raise binascii.Error
      return false;
    case TypeId::DateTime:
      return datetime::is_valid(v);
    default:
      return false;
  }
}

bool is_valid_string(TypeId t, std::string_view s) {
  return valid_text(t, s);
}

}  // namespace intelflow::harm
