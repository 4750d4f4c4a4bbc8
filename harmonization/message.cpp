// SPDX-License-Identifier: AGPL-3.0-or-later
#include "harmonization/message.hpp"

#include <openssl/evp.h>

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <unordered_map>

#include "harmonization/datetime.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/types.hpp"

namespace intelflow::harm {

namespace {

constexpr std::string_view kExtra = "extra";
constexpr std::string_view kTypeKey = "__type";
constexpr std::string_view kTimeObservation = "time.observation";

[[gnu::always_inline]] inline bool is_ignored_value(const Value& v) noexcept {
  if (v.is_null()) return true;
  if (!v.is_string()) return false;
  const std::string& s = v.as_string();
  switch (s.size()) {
    case 0:
      return true;
    case 1:
      return s[0] == '-';
    case 3:
      return s == "N/A";
    default:
      return false;
  }
}

inline bool starts_with_extra_dot(std::string_view k) noexcept {
  return k.size() > 6 && k.compare(0, 6, "extra.") == 0;
}

std::string py_repr(std::string_view s) {
  std::string out;
  py::append_str_repr(out, s);
  return out;
}

[[noreturn]] void raise(ErrorKind k, std::string msg) {
  throw HarmonizationError(k, msg);
}

[[noreturn]] void raise_key_exists(std::string_view key) {
  raise(ErrorKind::KeyExists, "key " + py_repr(key) + " already exists");
}

[[noreturn]] void raise_key_error(std::string_view key) {
  raise(ErrorKind::KeyError, py_repr(key));
}

[[noreturn]] void raise_invalid_value(std::string_view key, const Value& v,
                                      std::string_view reason) {
  std::string msg = "invalid value ";
  py::append_repr(msg, v);
  msg += " (<class '";
  msg += py::type_name(v);
  msg += "'>) for key ";
  msg += py_repr(key);
  if (!reason.empty()) {
    msg += ": ";
    msg += reason;
  }
  raise(ErrorKind::InvalidValue, std::move(msg));
}

[[noreturn]] void raise_no_subitem(const FieldSpec& parent, std::string_view what) {
  raise(ErrorKind::ValueError, "AttributeError: type object '" +
                                   std::string(type_name(parent.type)) + "' has no attribute '" +
                                   std::string(what) + "'");
}

[[noreturn]] void raise_type_key_config() {
  raise(ErrorKind::ValueError, "TypeError: 'NoneType' object is not subscriptable");
}

std::string check_reason(const FieldSpec& f, Check c, const Value& v) {
  switch (c) {
    case Check::Ok:
      return {};
    case Check::TypeInvalid:
      return "is_valid returned False.";
    case Check::TooLong:
      return "too long: " + std::to_string(py::str_len(v)) + " > " +
             std::to_string(f.length.value_or(0)) + ".";
    case Check::RegexMismatch:
      return "regex did not match.";
    case Check::IRegexMismatch:
      return "regex (case insensitive) did not match.";
  }
  return {};
}

/// Python `value in ignore` for the deprecated ignore argument.
bool in_ignore(const Value& value, const Value& ignore) {
  auto bad = [&]() -> bool {
    raise(ErrorKind::InvalidArgument,
          "Argument 'ignore' is invalid. Should be 'list or tuple'. Got <class '" +
              std::string(py::type_name(ignore)) + "'>.");
  };
  switch (ignore.kind()) {
    case Kind::List:
      for (const auto& x : ignore.as_list())
        if (x == value) return true;
      return false;
    case Kind::String:
      if (!value.is_string()) return bad();
      return ignore.as_string().find(value.as_string()) != std::string::npos;
    case Kind::Bytes:
      if (value.is_bytes()) return ignore.as_string().find(value.as_string()) != std::string::npos;
      if (value.is_int() && value.as_int() >= 0 && value.as_int() < 256)
        return ignore.as_string().find(static_cast<char>(value.as_int())) != std::string::npos;
      return bad();
    case Kind::Dict:
      if (value.is_list() || value.is_dict()) return bad();
      if (!value.is_string()) return false;
      for (const auto& kv : ignore.as_dict())
        if (kv.first == value.as_string()) return true;
      return false;
    default:
      return bad();
  }
}

/// Dict item assignment: replace in place, or append.
void dict_set(Value::Dict& d, std::string_view k, const Value& v) {
  for (auto& kv : d) {
    if (kv.first == k) {
      kv.second = v;
      return;
    }
  }
  d.emplace_back(std::string(k), v);
}

Value* dict_find(Value::Dict& d, std::string_view k) noexcept {
  for (auto& kv : d)
    if (kv.first == k) return &kv.second;
  return nullptr;
}

void split_dots(std::string_view key, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  for (;;) {
    auto dot = key.find('.', start);
    if (dot == std::string_view::npos) {
      out.push_back(key.substr(start));
      return;
    }
    out.push_back(key.substr(start, dot - start));
    start = dot + 1;
  }
}

}  // namespace

// --- construction ------------------------------------------------------------------

Message::Message(MessageKind kind, std::shared_ptr<const Harmonization> harm)
    : kind_(kind), harm_(harm ? std::move(harm) : Harmonization::default_instance()) {}

Message Message::new_report(std::shared_ptr<const Harmonization> harm) {
  Message m(MessageKind::Report, std::move(harm));
  AddOptions o;
  o.sanitize = false;
  m.add(kTimeObservation, Value::string(datetime::generate_now()), o);
  return m;
}

Message Message::from_pairs(MessageKind kind,
                            const std::vector<std::pair<std::string, Value>>& items,
                            std::shared_ptr<const Harmonization> harm, bool auto_) {
  Message m(kind, std::move(harm));
  m.entries_.reserve(items.size());
  for (const auto& [k, v] : items) m.load(k, v);
  if (kind == MessageKind::Report && !auto_ && !m.contains(kTimeObservation)) {
    AddOptions o;
    o.sanitize = false;
    m.add(kTimeObservation, Value::string(datetime::generate_now()), o);
  }
  return m;
}

// --- key handling ------------------------------------------------------------------

Message::KeyInfo Message::classify(std::string_view key, const FieldSpec* f) const noexcept {
  if (f) return {KeyClass::Field, f};
  if (key == kTypeKey) return {KeyClass::TypeKey, nullptr};
  if (const FieldSpec* p = harm_->parent_field(kind_, key)) return {KeyClass::Subitem, p};
  return {KeyClass::Unknown, nullptr};
}

bool Message::valid_key(std::string_view key, const KeyInfo& ki) const {
  switch (ki.cls) {
    case KeyClass::Field:
    case KeyClass::TypeKey:
      return true;
    case KeyClass::Subitem:
      return valid_key_syntax(key);
    case KeyClass::Unknown:
      return false;
  }
  return false;
}

void Message::throw_invalid_key(std::string_view key, const KeyInfo& ki) const {
  if (ki.cls == KeyClass::Subitem)
    raise(ErrorKind::InvalidKey,
          "invalid key " + py_repr(key) +
              " Does not match regular expression ^[a-z_][a-z_0-9]+(\\.[a-z_0-9]+)*$");
  raise(ErrorKind::InvalidKey, "invalid key " + py_repr(key) +
                                   " This key is not allowed by the harmonization configuration");
}

std::ptrdiff_t Message::index_of(std::string_view key, const KeyInfo& ki) const noexcept {
  const std::size_t n = entries_.size();
  if (ki.cls == KeyClass::Field) {
    if (!maybe_present(ki.field)) return -1;
    for (std::size_t i = 0; i < n; ++i)
      if (entries_[i].field == ki.field) return static_cast<std::ptrdiff_t>(i);
    return -1;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (!entries_[i].field && entries_[i].key == key) return static_cast<std::ptrdiff_t>(i);
  return -1;
}

bool Message::has_key(std::string_view key, const KeyInfo& ki) const noexcept {
  if (key == kExtra) {
    for (const auto& e : entries_)
      if (starts_with_extra_dot(e.key)) return true;
    return false;
  }
  return index_of(key, ki) >= 0;
}

void Message::remove_jsondict_items(std::string_view) noexcept {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [](const Entry& e) { return starts_with_extra_dot(e.key); }),
                 entries_.end());
  present_[0] = present_[1] = 0;
  for (const auto& e : entries_) mark(e.field, true);
}

// --- add -----------------------------------------------------------------------------

AddResult Message::add(std::string_view key, Value value, const AddOptions& opts) {
  return add_impl(key, harm_->find(kind_, key), value, opts);
}

const FieldSpec* Message::own_field(const FieldSpec& f) const noexcept {
  const auto& fields = harm_->fields(kind_);
  if (f.id < fields.size() && &fields[f.id] == &f) return &f;
  return harm_->find(kind_, f.name);
}

AddResult Message::add(const FieldSpec& field, Value value, const AddOptions& opts) {
  const FieldSpec* f = own_field(field);
  return add_impl(f ? std::string_view(f->name) : std::string_view(field.name), f, value, opts);
}

AddResult Message::load(std::string_view key, Value value) {
  return load_impl(key, harm_->find(kind_, key), value);
}

AddResult Message::load_impl(std::string_view key, const FieldSpec* f, Value& value) {
  // Fast path of the common case, same outcome as the first add() below: an
  // absent plain field whose value is valid as it is.
  if (f && f->type != TypeId::JSONDict && !maybe_present(f) && key != kExtra &&
      !is_ignored_value(value) && harm_->check(*f, value) == Check::Ok) {
    reserve_first();
    entries_.emplace_back(f, std::move(value));
    entries_.back().verified = true;
    mark(f, true);
    return AddResult::Added;
  }
  AddOptions first;
  first.sanitize = false;
  first.raise_failure = false;
  AddResult r = add_impl(key, f, value, first);
  if (r == AddResult::Added) return r;
  return add_impl(key, f, value, AddOptions{});
}

AddResult Message::add_impl(std::string_view key, const FieldSpec* f, Value& value,
                            const AddOptions& opts) {
  const KeyInfo ki = classify(key, f);
  const bool present = has_key(key, ki);
  // 1-2: existing key
  if (present) {
    if (!opts.overwrite) raise_key_exists(key);
    if (!*opts.overwrite) return AddResult::Rejected;
  }
  // 3: ignored values (before key validation)
  if (is_ignored_value(value)) {
    if (present && opts.overwrite.value_or(false)) remove(key);
    return AddResult::Ignored;
  }
  // 4: key validation
  if (!valid_key(key, ki)) throw_invalid_key(key, ki);
  // 5: caller-supplied ignore list
  if (opts.ignore && in_ignore(value, *opts.ignore)) return AddResult::Ignored;
  // 6: sanitize (may take value's storage when it succeeds)
  Value sanitized;
  bool use_sanitized = false;
  bool known_valid = false;  // the sanitizer's output passes the type check by construction
  if (opts.sanitize && ki.cls != KeyClass::TypeKey) {
    if (ki.cls == KeyClass::Field) {
      sanitized = sanitize_for_add(ki.field->type, value, known_valid);
      use_sanitized = true;
      if (sanitized.is_null()) {
        if (opts.raise_failure) raise_invalid_value(key, value, {});
        return AddResult::Rejected;
      }
    } else if (ki.field->type != TypeId::JSONDict) {
      raise_no_subitem(*ki.field, "sanitize_subitem");
    }
  }
  Value& v = use_sanitized ? sanitized : value;
  // 7: validate
  Check c = Check::Ok;
  if (ki.cls == KeyClass::Field) {
    c = known_valid ? harm_->check_constraints(*ki.field, v) : harm_->check(*ki.field, v);
  } else if (ki.cls == KeyClass::Subitem) {
    if (ki.field->type != TypeId::JSONDict) raise_no_subitem(*ki.field, "is_valid_subitem");
    c = harm_->check_constraints(*ki.field, v);
  }
  if (c != Check::Ok) {
    if (opts.raise_failure) raise_invalid_value(key, v, check_reason(*ki.field, c, v));
    return AddResult::Rejected;
  }
  // 8: store
  if (ki.cls == KeyClass::Field && ki.field->type == TypeId::JSONDict) {
    if (present && opts.overwrite.value_or(false)) remove(key);
    explode_jsondict(*ki.field, v);
    return AddResult::Added;
  }
  store(key, ki, std::move(v), present);
  return AddResult::Added;
}

void Message::store(std::string_view key, const KeyInfo& ki, Value&& value, bool present,
                    bool verified) {
  if (present) {
    std::ptrdiff_t i = index_of(key, ki);
    if (i >= 0) {
      Entry& e = entries_[static_cast<std::size_t>(i)];
      e.value = std::move(value);
      e.verified = verified;
      return;
    }
  }
  reserve_first();
  if (ki.cls == KeyClass::Field) {
    entries_.emplace_back(ki.field, std::move(value));
    mark(ki.field, true);
  } else {
    entries_.emplace_back(key, std::move(value));
  }
  entries_.back().verified = verified;
}

void Message::explode_jsondict(const FieldSpec& f, const Value& json_text) {
  if (!json_text.is_string())
    raise(ErrorKind::ValueError,
          "TypeError: the JSON object must be str, bytes or bytearray, not " +
              std::string(py::type_name(json_text)));
  Value parsed;
  if (!py::json_loads(json_text.as_string(), parsed))
    raise(ErrorKind::ValueError, "JSONDecodeError");
  if (!parsed.is_dict())
    raise(ErrorKind::ValueError, "AttributeError: '" + std::string(py::type_name(parsed)) +
                                     "' object has no attribute 'items'");
  const bool is_extra = f.name == kExtra;
  std::string full;
  for (auto& [name, val] : parsed.as_dict()) {
    if (!is_extra) {
      // other JSONDict fields drop empty and ignored values
      bool empty = ((val.is_string() || val.is_bytes()) && val.as_string().empty()) ||
                   (val.is_list() && val.as_list().empty()) ||
                   (val.is_dict() && val.as_dict().empty());
      if (empty || is_ignored_value(val)) continue;
    }
    full.assign(f.name);
    full += '.';
    full += name;
    const FieldSpec* ff = harm_->find(kind_, full);
    KeyInfo ki = ff ? KeyInfo{KeyClass::Field, ff} : KeyInfo{KeyClass::Subitem, &f};
    store(full, ki, std::move(val), index_of(full, ki) >= 0, false);
  }
}

AddResult Message::change(std::string_view key, Value value, bool sanitize_value) {
  const FieldSpec* f = harm_->find(kind_, key);
  if (!has_key(key, classify(key, f)))
    raise(ErrorKind::KeyNotExists, "key " + py_repr(key) + " not exists");
  AddOptions o;
  o.sanitize = sanitize_value;
  o.overwrite = true;
  return add_impl(key, f, value, o);
}

void Message::update(const std::vector<std::pair<std::string, Value>>& items) {
  for (const auto& [k, v] : items) {
    const FieldSpec* f = harm_->find(kind_, k);
    Value value = v;
    AddOptions first;
    first.sanitize = false;
    first.overwrite = true;
    first.raise_failure = false;
    if (add_impl(k, f, value, first) == AddResult::Added) continue;
    AddOptions second;
    second.overwrite = true;
    add_impl(k, f, value, second);
  }
}

bool Message::is_valid(std::string_view key, const Value& value, bool sanitize_value) const {
  const FieldSpec* f = harm_->find(kind_, key);
  const KeyInfo ki = classify(key, f);
  if (!valid_key(key, ki)) throw_invalid_key(key, ki);
  if (is_ignored_value(value)) return false;
  Value sanitized;
  const Value* v = &value;
  if (sanitize_value) {
    if (ki.cls == KeyClass::TypeKey) raise_type_key_config();
    if (ki.cls == KeyClass::Field) {
      sanitized = sanitize(f->type, value);
      v = &sanitized;
    } else if (ki.field->type != TypeId::JSONDict) {
      raise_no_subitem(*ki.field, "sanitize_subitem");
    }
  }
  switch (ki.cls) {
    case KeyClass::TypeKey:
      return true;
    case KeyClass::Field:
      return harm_->check(*f, *v) == Check::Ok;
    case KeyClass::Subitem:
      if (ki.field->type != TypeId::JSONDict) raise_no_subitem(*ki.field, "is_valid_subitem");
      return harm_->check_constraints(*ki.field, *v) == Check::Ok;
    case KeyClass::Unknown:
      break;
  }
  return false;
}

// --- lookup --------------------------------------------------------------------------

bool Message::contains(std::string_view key) const noexcept {
  return has_key(key, classify(key, harm_->find(kind_, key)));
}

const Value* Message::find(std::string_view key) const noexcept {
  std::ptrdiff_t i = index_of(key, classify(key, harm_->find(kind_, key)));
  return i >= 0 ? &entries_[static_cast<std::size_t>(i)].value : nullptr;
}

Value Message::getitem(std::string_view key) const {
  if (key == kTypeKey) raise_type_key_config();
  const FieldSpec* f = harm_->find(kind_, key);
  KeyInfo ki = classify(key, f);
  if (ki.cls == KeyClass::Unknown || ki.cls == KeyClass::TypeKey) raise_key_error(key);
  if (ki.cls == KeyClass::Field && f->type == TypeId::JSONDict) {
    Value d = to_dict(true);
    auto dot = key.find('.');
    std::string_view first = key.substr(0, dot);
    for (const auto& [k, v] : d.as_dict())
      if (k == first) return Value::string(py::json_dumps(v));
    raise_key_error(first);
  }
  std::ptrdiff_t i = index_of(key, ki);
  if (i >= 0) return entries_[static_cast<std::size_t>(i)].value;
  if (default_value_) return *default_value_;
  raise_key_error(key);
}

Value Message::get(std::string_view key, const Value& dflt) const {
  try {
    return getitem(key);
  } catch (const HarmonizationError& e) {
    if (e.kind() == ErrorKind::KeyError) return dflt;
    throw;
  }
}

void Message::remove(std::string_view key) {
  if (key == kExtra) {
    remove_jsondict_items(key);
    return;
  }
  std::ptrdiff_t i = index_of(key, classify(key, harm_->find(kind_, key)));
  if (i < 0) raise_key_error(key);
  erase_at(static_cast<std::size_t>(i));
}

bool Message::erase(std::string_view key) noexcept {
  if (key == kExtra) {
    std::size_t before = entries_.size();
    remove_jsondict_items(key);
    return entries_.size() != before;
  }
  std::ptrdiff_t i = index_of(key, classify(key, harm_->find(kind_, key)));
  if (i < 0) return false;
  erase_at(static_cast<std::size_t>(i));
  return true;
}

std::vector<std::string> Message::keys() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.emplace_back(e.key);
  return out;
}

std::vector<std::pair<std::string, Value>> Message::finditems(std::string_view prefix) const {
  std::vector<std::pair<std::string, Value>> out;
  for (const auto& e : entries_)
    if (e.key.substr(0, prefix.size()) == prefix) out.emplace_back(std::string(e.key), e.value);
  return out;
}

// --- serialization -------------------------------------------------------------------

namespace {

/// Output written in place into a per-thread scratch buffer that only grows
/// (so it is not zero-filled for every message), then appended to the
/// caller's string in one copy. `bound` is an upper bound of the size of all
/// string parts; other values are rendered apart and made room for with put().
class ScratchWriter {
 public:
  explicit ScratchWriter(std::size_t bound) : bound_(bound) {
    if (buf().size() < bound) buf().resize(std::max(bound, 2 * buf().size()));
    p = buf().data();
  }
  ScratchWriter(const ScratchWriter&) = delete;
  ScratchWriter& operator=(const ScratchWriter&) = delete;
  /// Copies text of any size, keeping room for the rest of the bound.
  void put(std::string_view text) {
    const std::size_t at = static_cast<std::size_t>(p - buf().data());
    const std::size_t need = at + text.size() + bound_;
    if (need > buf().size()) {
      buf().resize(need);
      p = buf().data() + at;
    }
    std::memcpy(p, text.data(), text.size());
    p += text.size();
  }
  void finish(std::string& out) const {
    out.append(buf().data(), static_cast<std::size_t>(p - buf().data()));
  }

  char* p;

 private:
  static std::string& buf() {
    thread_local std::string b;
    return b;
  }
  std::size_t bound_;
};

}  // namespace

void Message::serialize_to(std::string& out) const {
  std::size_t bound = 32;
  for (const auto& e : entries_) {
    if (e.key == kTypeKey) raise_key_exists(kTypeKey);
    bound += py::json_string_bound(e.key.size()) + 4 +
             (e.value.is_string() ? py::json_string_bound(e.value.as_string().size()) : 0);
  }
  ScratchWriter w(bound);
  char*& p = w.p;
  *p++ = '{';
  thread_local std::string other;  // non-string values, rendered by append_json
  for (const auto& e : entries_) {
    if (e.field) {
      // harmonization keys match ^[a-z_][a-z_0-9.]*$: nothing to escape
      *p++ = '"';
      std::memcpy(p, e.key.data(), e.key.size());
      p += e.key.size();
      *p++ = '"';
    } else {
      p = py::write_json_string(p, e.key, true);
    }
    *p++ = ':';
    *p++ = ' ';
    if (e.value.is_string()) {
      p = py::write_json_string(p, e.value.as_string(), true);
    } else {
      other.clear();
      py::append_json(other, e.value);
      w.put(other);
    }
    *p++ = ',';
    *p++ = ' ';
  }
  static constexpr std::string_view kTail1 = "\"__type\": \"";
  std::memcpy(p, kTail1.data(), kTail1.size());
  p += kTail1.size();
  const std::string_view kind = kind_name(kind_);
  std::memcpy(p, kind.data(), kind.size());
  p += kind.size();
  *p++ = '"';
  *p++ = '}';
  w.finish(out);
}

std::string Message::serialize() const {
  std::string out;  // appended once: an exact-size allocation
  serialize_to(out);
  return out;
}

Value Message::to_dict(bool hierarchical, bool with_type, bool jsondict_as_string) const {
  if (hierarchical) return hierarchical_dict(with_type, jsondict_as_string);
  Value::Dict root;
  root.reserve(entries_.size() + 1);
  if (with_type) root.emplace_back(std::string(kTypeKey), Value::string(kind_name(kind_)));
  std::vector<std::pair<std::string, Value::Dict>> jsondicts;
  for (const auto& e : entries_) {
    if (e.key == kTypeKey) raise_type_key_config();
    if (jsondict_as_string) {
      auto dot = e.key.find('.');
      std::string_view first = e.key.substr(0, dot);
      if (harm_->is_jsondict_field(kind_, first)) {
        std::string_view rest =
            dot == std::string_view::npos ? std::string_view() : e.key.substr(dot + 1);
        auto it = std::find_if(jsondicts.begin(), jsondicts.end(),
                               [&](const auto& p) { return p.first == first; });
        if (it == jsondicts.end()) {
          jsondicts.emplace_back(std::string(first), Value::Dict{});
          it = jsondicts.end() - 1;
        }
        dict_set(it->second, rest, e.value);
        continue;
      }
    }
    if (with_type)
      dict_set(root, e.key, e.value);
    else
      root.emplace_back(std::string(e.key), e.value);
  }
  for (auto& [name, d] : jsondicts) {
    py::JsonOptions o;
    o.ensure_ascii = false;
    dict_set(root, name, Value::string(py::json_dumps(Value::dict(std::move(d)), o)));
  }
  return Value::dict(std::move(root));
}

Value Message::hierarchical_dict(bool with_type, bool jsondict_as_string) const {
  // Python builds nested dicts by walking each key's segments; a stored dict
  // value that is walked into is the very object stored in the message, so
  // deeper keys are merged into it (reference quirk). `placed` maps result
  // paths holding a stored dict value to its entry; `aliases` lists the
  // stored values (entry, path inside it) the current node is part of.
  struct Alias {
    std::size_t entry;
    std::vector<std::string> path;
  };
  Value::Dict root;
  if (with_type) root.emplace_back(std::string(kTypeKey), Value::string(kind_name(kind_)));
  std::vector<std::pair<std::string, Value::Dict>> jsondicts;
  std::unordered_map<std::string, std::size_t> placed;
  bool any_dict = false;
  for (const auto& e : entries_) any_dict |= e.value.is_dict();

  auto write_through = [&](const Alias& a, std::string_view k, const Value& v) {
    Value* cur = &entries_[a.entry].value;
    for (const auto& p : a.path) {
      if (!cur->is_dict()) return;
      cur = dict_find(cur->as_dict(), p);
      if (!cur) return;
    }
    if (cur->is_dict()) dict_set(cur->as_dict(), k, v);
  };

  std::vector<std::string_view> subkeys;
  std::vector<Alias> aliases;
  std::string path;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (e.key == kTypeKey) raise_type_key_config();
    split_dots(e.key, subkeys);
    if (jsondict_as_string && harm_->is_jsondict_field(kind_, subkeys[0])) {
      auto dot = e.key.find('.');
      std::string_view rest =
          dot == std::string_view::npos ? std::string_view() : e.key.substr(dot + 1);
      auto it = std::find_if(jsondicts.begin(), jsondicts.end(),
                             [&](const auto& p) { return p.first == subkeys[0]; });
      if (it == jsondicts.end()) {
        jsondicts.emplace_back(std::string(subkeys[0]), Value::Dict{});
        it = jsondicts.end() - 1;
      }
      dict_set(it->second, rest, e.value);
      continue;
    }
    Value::Dict* node = &root;
    aliases.clear();
    path.clear();
    const std::string_view last = subkeys.back();
    for (std::string_view sk : subkeys) {
      if (sk == last) {
        dict_set(*node, sk, e.value);
        if (any_dict) {
          for (const auto& a : aliases) write_through(a, sk, e.value);
          std::string leaf = path;
          leaf += '\x1f';
          leaf += sk;
          if (!placed.empty()) {
            std::string prefix = leaf + '\x1f';
            for (auto it = placed.begin(); it != placed.end();) {
              if (it->first == leaf || it->first.compare(0, prefix.size(), prefix) == 0)
                it = placed.erase(it);
              else
                ++it;
            }
          }
          if (e.value.is_dict()) placed.emplace(std::move(leaf), i);
        }
        break;
      }
      Value* child = dict_find(*node, sk);
      if (!child) {
        node->emplace_back(std::string(sk), Value::dict({}));
        child = &node->back().second;
        if (any_dict)
          for (const auto& a : aliases) write_through(a, sk, *child);
      } else if (!child->is_dict()) {
        raise(ErrorKind::ValueError, "TypeError: '" + std::string(py::type_name(*child)) +
                                         "' object does not support item assignment");
      }
      if (any_dict) {
        for (auto& a : aliases) a.path.emplace_back(sk);
        path += '\x1f';
        path += sk;
        auto it = placed.find(path);
        if (it != placed.end()) aliases.push_back(Alias{it->second, {}});
      }
      node = &child->as_dict();
    }
  }
  for (auto& [name, d] : jsondicts) {
    py::JsonOptions o;
    o.ensure_ascii = false;
    dict_set(root, name, Value::string(py::json_dumps(Value::dict(std::move(d)), o)));
  }
  return Value::dict(std::move(root));
}

namespace {

/// Key order of two entries: harmonization fields by their precomputed rank.
inline bool entry_key_less(const Message::Entry* a, const Message::Entry* b) noexcept {
  if (a->field && b->field) return a->field->rank < b->field->rank;
  return a->key < b->key;
}

}  // namespace

void Message::sorted_entries(std::vector<const Entry*>& out) const {
  out.clear();
  out.reserve(entries_.size());
  // insertion sort: events have 15-20 entries
  for (const auto& e : entries_) {
    std::size_t j = out.size();
    out.push_back(&e);
    for (; j > 0 && entry_key_less(&e, out[j - 1]); --j) out[j] = out[j - 1];
    out[j] = &e;
  }
}

void Message::to_json_to(std::string& out, bool hierarchical, bool with_type) const {
  bool direct = !hierarchical;
  for (const auto& e : entries_)
    if (e.key == kTypeKey) direct = false;  // the general path raises as the reference does
  py::JsonOptions o;
  o.sort_keys = true;
  o.ensure_ascii = false;
  if (!direct) {
    Value d = to_dict(hierarchical, with_type, false);
    py::append_json(out, d, o);
    return;
  }
  // to_dict() written straight from the entries in key order, into room for
  // an upper bound of the size (strings are escaped in place)
  thread_local std::vector<const Entry*> order;
  sorted_entries(order);
  std::size_t bound = 64;
  for (const Entry* e : order)
    bound += py::json_string_bound(e->key.size()) + 4 +
             (e->value.is_string() ? py::json_string_bound(e->value.as_string().size()) : 0);
  ScratchWriter w(bound);
  char*& p = w.p;
  *p++ = '{';
  bool first = true;
  bool type_done = !with_type;
  thread_local std::string other;  // non-string values, rendered by append_json
  for (std::size_t i = 0; i <= order.size(); ++i) {
    const Entry* e = i < order.size() ? order[i] : nullptr;
    if (!type_done && (!e || kTypeKey < e->key)) {
      if (!first) {
        *p++ = ',';
        *p++ = ' ';
      }
      first = false;
      static constexpr std::string_view kType = "\"__type\": \"";
      std::memcpy(p, kType.data(), kType.size());
      p += kType.size();
      const std::string_view kind = kind_name(kind_);
      std::memcpy(p, kind.data(), kind.size());
      p += kind.size();
      *p++ = '"';
      type_done = true;
    }
    if (!e) break;
    if (!first) {
      *p++ = ',';
      *p++ = ' ';
    }
    first = false;
    p = py::write_json_string(p, e->key, false);
    *p++ = ':';
    *p++ = ' ';
    if (e->value.is_string()) {
      p = py::write_json_string(p, e->value.as_string(), false);
    } else {
      other.clear();
      py::append_json(other, e->value, o);
      w.put(other);
    }
  }
  *p++ = '}';
  w.finish(out);
}

std::string Message::to_json(bool hierarchical, bool with_type) const {
  std::string out;
  to_json_to(out, hierarchical, with_type);
  return out;
}

std::string Message::hash(const std::vector<std::string>& filter_keys,
                          std::string_view filter_type) const {
  const bool whitelist = filter_type == "whitelist";
  if (!whitelist && filter_type != "blacklist")
    raise(ErrorKind::InvalidArgument,
          "Argument 'filter_type' is invalid. Should be one of: ['whitelist', "
          "'blacklist']. Got " +
              py_repr(filter_type) + ".");
  thread_local std::vector<const Entry*> order;
  sorted_entries(order);
  // filter keys naming harmonization fields are compared as FieldSpecs
  thread_local std::vector<const FieldSpec*> filter_fields;
  filter_fields.clear();
  for (const auto& k : filter_keys) filter_fields.push_back(harm_->find(kind_, k));
  const FieldSpec* observation = harm_->find(kind_, kTimeObservation);
  thread_local std::string buf;
  buf.clear();
  for (const Entry* e : order) {
    bool listed = false;
    if (e->field) {
      if (e->field == observation) continue;
      for (const FieldSpec* f : filter_fields)
        if (f == e->field) {
          listed = true;
          break;
        }
    } else {
      if (e->key == kTimeObservation) continue;
      listed = std::find(filter_keys.begin(), filter_keys.end(), e->key) != filter_keys.end();
    }
    if (whitelist != listed) continue;
    buf.append(e->key);
    buf += '\xC0';
    py::append_repr(buf, e->value);
    buf += '\xC0';
  }
  // fetched once (OpenSSL 3 looks implicit fetches up under a lock on every call)
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct Ctx {
    EVP_MD_CTX* p = EVP_MD_CTX_new();
    ~Ctx() { EVP_MD_CTX_free(p); }
  };
  thread_local Ctx ctx;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!sha256 || !ctx.p || EVP_DigestInit_ex(ctx.p, sha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.p, buf.data(), buf.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.p, md, &len) != 1)
    raise(ErrorKind::ValueError, "SHA-256 failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(static_cast<std::size_t>(len) * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  return out;
}

// --- factory -------------------------------------------------------------------------

namespace {

/// One member of the top-level wire object, before it is added.
struct WireItem {
  std::string_view key;
  std::string key_buf;  // decoded key when it had escapes
  bool escaped = false;
  const FieldSpec* field = nullptr;  // Event field (for duplicate detection)
  Value value;
  std::string_view k() const noexcept { return escaped ? std::string_view(key_buf) : key; }
};

MessageKind kind_from_type_value(const Value& t) {
  if (t.is_string()) {
    if (t.as_string() == "Event") return MessageKind::Event;
    if (t.as_string() == "Report") return MessageKind::Report;
  }
  std::string got;
  py::append_repr(got, t);
  raise(ErrorKind::InvalidArgument,
        "Argument '__type' is invalid. Should be one of: ('Event', 'Message', "
        "'Report'). Got " +
            got + ".");
}

}  // namespace

bool Message::unserialize_event_fast(std::string_view json, Message& m, bool default_event) {
  const Harmonization& harm = *m.harm_;
  py::JsonReader r(json.data(), json.data() + json.size());
  thread_local std::string scratch;
  bool type_event = false;
  r.skip_ws();
  if (!r.consume('{')) return false;
  r.skip_ws();
  if (r.consume('}')) return default_event;
  for (;;) {
    r.skip_ws();
    std::string_view key;
    if (r.peek() != '"' || !r.parse_string(key, scratch)) return false;
    if (!scratch.empty() && key.data() == scratch.data()) return false;  // escaped key
    r.skip_ws();
    if (!r.consume(':')) return false;
    r.skip_ws();
    if (const FieldSpec* f = harm.find(MessageKind::Event, key)) {
      // a plain field seen for the first time
      if (f->type == TypeId::JSONDict || m.maybe_present(f) || key == kExtra) return false;
      Entry& e = m.entries_.emplace_back();
      if (!r.parse_value(e.value) || is_ignored_value(e.value)) return false;
      try {
        if (harm.check(*f, e.value) != Check::Ok) return false;
      } catch (const HarmonizationError&) {
        return false;  // the general path orders this after any syntax error
      }
      e.field = f;
      e.key = f->name;
      e.verified = true;
      m.mark(f, true);
    } else if (key == kTypeKey) {
      std::string_view t;
      if (r.peek() != '"' || !r.parse_string(t, scratch) || t != "Event") return false;
      type_event = true;
    } else {
      // a free sub-item of a JSONDict field, e.g. extra.comment
      const FieldSpec* parent = harm.parent_field(MessageKind::Event, key);
      if (!parent || parent->type != TypeId::JSONDict || !valid_key_syntax(key)) return false;
      for (const Entry& x : m.entries_)
        if (!x.field && x.key == key) return false;  // duplicate key
      Value v;
      if (!r.parse_value(v) || is_ignored_value(v)) return false;
      try {
        if (harm.check_constraints(*parent, v) != Check::Ok) return false;
      } catch (const HarmonizationError&) {
        return false;
      }
      m.entries_.emplace_back(key, std::move(v)).verified = true;
    }
    r.skip_ws();
    if (r.consume(',')) continue;
    if (r.consume('}')) break;
    return false;
  }
  r.skip_ws();
  if (!r.at_end()) return false;
  if (r.saw_non_ascii() && !simdjson::validate_utf8(json.data(), json.size())) return false;
  return type_event || default_event;
}

Message Message::unserialize(std::string_view json, std::shared_ptr<const Harmonization> harm,
                             std::optional<MessageKind> default_kind) {
  if (!harm) harm = Harmonization::default_instance();
  if (default_kind != MessageKind::Report) {
    Message m(MessageKind::Event, std::move(harm));
    m.entries_.reserve(24);
    if (unserialize_event_fast(json, m, default_kind == MessageKind::Event)) return m;
    harm = std::move(m.harm_);
  }

  thread_local std::vector<WireItem> items;
  thread_local std::vector<std::uint32_t> stamp;
  thread_local std::uint32_t generation = 0;
  thread_local std::string scratch;
  const auto& ev_fields = harm->fields(MessageKind::Event);
  if (stamp.size() < ev_fields.size()) stamp.assign(ev_fields.size(), 0);
  if (++generation == 0) {
    std::fill(stamp.begin(), stamp.end(), 0);
    generation = 1;
  }

  // Python decodes the bytes before parsing: invalid UTF-8 wins over a syntax error.
  auto check_utf8 = [&] {
    if (!simdjson::validate_utf8(json.data(), json.size()))
      raise(ErrorKind::DecodingError, "Could not decode string: invalid UTF-8");
  };
  auto syntax_error = [&]() {
    check_utf8();
    raise(ErrorKind::ValueError, "JSONDecodeError: invalid JSON");
  };
  py::JsonReader r(json.data(), json.data() + json.size());
  r.skip_ws();
  if (r.peek() != '{') {
    check_utf8();
    Value v;
    if (!py::json_loads(json, v)) raise(ErrorKind::ValueError, "JSONDecodeError: invalid JSON");
    raise(ErrorKind::ValueError, "TypeError: message is not a JSON object");
  }
  r.consume('{');
  std::size_t n = 0;
  std::optional<Value> type_value;
  r.skip_ws();
  if (!r.consume('}')) {
    for (;;) {
      r.skip_ws();
      if (r.peek() != '"') syntax_error();
      if (n == items.size()) items.emplace_back();
      WireItem& it = items[n];
      std::string_view key;
      if (!r.parse_string(key, scratch)) syntax_error();
      it.escaped = key.data() == scratch.data() && !scratch.empty();
      if (it.escaped) {
        it.key_buf.assign(key);
      } else {
        it.key = key;
      }
      r.skip_ws();
      if (!r.consume(':')) syntax_error();
      r.skip_ws();
      if (!r.parse_value(it.value)) syntax_error();
      const std::string_view k = it.k();
      if (k == kTypeKey) {
        type_value = std::move(it.value);
      } else {
        // duplicate keys: the last value wins, at the first key's position
        const FieldSpec* f = harm->find(MessageKind::Event, k);
        it.field = f;
        std::size_t dup = n;
        if (f) {
          if (stamp[f->id] == generation) {
            for (std::size_t j = 0; j < n; ++j)
              if (items[j].field == f) {
                dup = j;
                break;
              }
          } else {
            stamp[f->id] = generation;
          }
        } else {
          for (std::size_t j = 0; j < n; ++j)
            if (!items[j].field && items[j].k() == k) {
              dup = j;
              break;
            }
        }
        if (dup < n)
          items[dup].value = std::move(it.value);
        else
          ++n;
      }
      r.skip_ws();
      if (r.consume(',')) continue;
      if (r.consume('}')) break;
      syntax_error();
    }
  }
  r.skip_ws();
  if (!r.at_end()) syntax_error();
  if (r.saw_non_ascii()) check_utf8();

  MessageKind kind;
  if (type_value) {
    kind = kind_from_type_value(*type_value);
  } else if (default_kind) {
    kind = *default_kind;
  } else {
    raise(ErrorKind::KeyError, "'__type'");
  }
  Message m(kind, std::move(harm));
  m.entries_.reserve(n);
  for (std::size_t j = 0; j < n; ++j) {
    WireItem& it = items[j];
    const FieldSpec* f = kind == MessageKind::Event ? it.field : m.harm_->find(kind, it.k());
    m.load_impl(it.k(), f, it.value);
  }
  return m;
}

Message Message::from_dict(const std::vector<std::pair<std::string, Value>>& items,
                           std::shared_ptr<const Harmonization> harm,
                           std::optional<MessageKind> default_kind) {
  const Value* type_value = nullptr;
  for (const auto& [k, v] : items)
    if (k == kTypeKey) type_value = &v;
  MessageKind kind;
  if (type_value) {
    kind = kind_from_type_value(*type_value);
  } else if (default_kind) {
    kind = *default_kind;
  } else {
    raise(ErrorKind::KeyError, "'__type'");
  }
  Message m(kind, std::move(harm));
  m.entries_.reserve(items.size());
  for (const auto& [k, v] : items)
    if (k != kTypeKey) m.load(k, v);
  return m;
}

Message Message::event_from_report(const Message& report,
                                   const std::vector<std::string>& copy_fields) {
  static constexpr std::string_view kCopied[] = {
      "feed.accuracy", "feed.code", "feed.documentation", "feed.name", "feed.provider",
      "feed.url",      "rtir_id",   "time.observation"};
  Message ev(MessageKind::Event, report.harm_);
  for (std::string_view k : kCopied) {
    // report.contains(k) / report[k] by the report's field, without more lookups by name
    const FieldSpec* rf = report.harm_->find(report.kind_, k);
    if (!rf || rf->type == TypeId::JSONDict) {
      if (report.contains(k)) ev.load(k, report.getitem(k));
      continue;
    }
    const std::ptrdiff_t i = report.index_of(k, KeyInfo{KeyClass::Field, rf});
    if (i < 0) continue;
    Value v = report.entries_[static_cast<std::size_t>(i)].value;
    ev.load_impl(k, ev.harm_->find(MessageKind::Event, k), v);
  }
  for (const auto& k : copy_fields) {
    if (!report.contains(k)) continue;
    // copied as stored (not sanitized again: raw stays as is), replacing a value copied above
    AddOptions o;
    o.sanitize = false;
    o.overwrite = true;
    ev.add(k, report.getitem(k), o);
  }
  return ev;
}

Message Message::report_from_event(const Message& event, bool auto_) {
  Message rep(MessageKind::Report, event.harm_);
  AddOptions o;
  o.sanitize = false;
  for (const auto& e : event.entries_) {
    const FieldSpec* f = rep.harm_->find(MessageKind::Report, e.key);
    if (!rep.valid_key(e.key, rep.classify(e.key, f))) continue;
    Value v = e.value;
    rep.add_impl(e.key, f, v, o);
  }
  if (!auto_ && !rep.contains(kTimeObservation))
    rep.add(kTimeObservation, Value::string(datetime::generate_now()), o);
  return rep;
}

Message Message::report_from_event(const Message& event) {
  return report_from_event(event, false);
}

Message Message::copy() const {
  for (const auto& e : entries_)
    if (e.key == kTypeKey) raise_key_exists(kTypeKey);
  Message m(kind_, harm_);
  m.entries_.reserve(entries_.size());
  for (const auto& e : entries_) {
    // A verified entry is valid for its (unique) key: the constructor's add()
    // would append it unchanged. Containers are checked again (to_dict's
    // hierarchical quirk may have changed a stored dict).
    if (e.verified && !e.value.is_list() && !e.value.is_dict()) {
      m.entries_.push_back(e);
      m.mark(e.field, true);
      continue;
    }
    Value v = e.value;
    m.load_impl(e.key, e.field, v);
  }
  return m;
}

Message Message::clone() const {
  Message m(kind_, harm_);
  m.entries_.reserve(std::max(entries_.size(), kInitialCapacity));
  m.entries_.insert(m.entries_.end(), entries_.begin(), entries_.end());
  m.present_[0] = present_[0];
  m.present_[1] = present_[1];
  return m;
}

Message Message::copy_and_change(std::string_view key, Value value) const {
  const FieldSpec* f = harm_->find(kind_, key);
  const std::ptrdiff_t at = f ? index_of(key, KeyInfo{KeyClass::Field, f}) : -1;
  const Entry* skip = at >= 0 ? &entries_[static_cast<std::size_t>(at)] : nullptr;
  if (skip == nullptr || !skip->verified || skip->value.is_list() || skip->value.is_dict() ||
      f->type == TypeId::JSONDict) {
    Message m = copy();
    m.change(key, std::move(value));
    return m;
  }
  for (const auto& e : entries_)
    if (e.key == kTypeKey) raise_key_exists(kTypeKey);
  Message m(kind_, harm_);
  m.entries_.reserve(entries_.size());
  for (const auto& e : entries_) {
    if (&e == skip) {
      // a placeholder the overwriting add() below replaces in place (or removes)
      m.entries_.emplace_back(e.field, Value());
      m.mark(e.field, true);
      continue;
    }
    if (e.verified && !e.value.is_list() && !e.value.is_dict()) {
      m.entries_.push_back(e);
      m.mark(e.field, true);
      continue;
    }
    Value v = e.value;
    m.load_impl(e.key, e.field, v);
  }
  AddOptions o;
  o.overwrite = true;
  m.add_impl(key, f, value, o);
  return m;
}

Message Message::deep_copy() const {
  return unserialize(serialize(), harm_);
}

bool operator==(const Message& a, const Message& b) noexcept {
  if (a.kind_ != b.kind_ || a.entries_.size() != b.entries_.size()) return false;
  if (a.harm_ != b.harm_ && !a.harm_->same_fields(a.kind_, *b.harm_)) return false;
  for (const auto& ea : a.entries_) {
    const Message::Entry* eb = nullptr;
    for (const auto& x : b.entries_)
      if (x.key == ea.key) {
        eb = &x;
        break;
      }
    if (!eb || !(ea.value == eb->value)) return false;
  }
  return true;
}

}  // namespace intelflow::harm
