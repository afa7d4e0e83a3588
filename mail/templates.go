package mail

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	texttemplate "text/template"
)

//go:embed templates/*
var embeddedTemplates embed.FS

const layoutFile = "layout.html"

// maxTemplateFile bounds the size of one override template file.
const maxTemplateFile = 1 << 20

// maxSubjectRunes bounds the subject, which may quote event data.
const maxSubjectRunes = 200

// TemplateData is what every template receives. Event, Record, Changes and
// User are the decoded JSON objects (numbers as json.Number); read them with
// the template function get, e.g. {{get .Record "user_ip"}} or
// {{get .Event "record.user.level"}}, which gives "" for a missing value.
type TemplateData struct {
	Name       string // full event name, e.g. system.session.create
	Lang       string // language of the template in use
	Subject    string // rendered subject ("" while the subject is rendered)
	Email      string // recipient
	UID        string // recipient's UID
	Domain     string // base URL of links, with scheme, without trailing slash
	Token      string // the event's one-time token, if any
	Link       string // confirmation or password-reset link, else ""
	Logo       string // Config.LogoLink
	SenderName string // Config.SenderName
	Time       string // time the e-mail was rendered, UTC
	Event      map[string]any
	Record     map[string]any // event "record", or the event itself when it has none
	Changes    map[string]any // event "changes" (model updates), else nil
	User       map[string]any // the user object of the event
}

// tmplSet holds the parsed templates of one event in one language.
type tmplSet struct {
	text *texttemplate.Template // root: plain-text body; "subject"
	html *htmltemplate.Template // layoutFile wrapping "content"
}

// catalog maps event name → language → templates.
type catalog map[string]map[string]*tmplSet

var templateFuncs = map[string]any{"get": get}

// loadCatalog parses the embedded templates overlaid with those in dir.
func loadCatalog(dir string) (catalog, error) {
	files := map[string]string{}
	entries, err := fs.ReadDir(embeddedTemplates, "templates")
	if err != nil {
		return nil, fmt.Errorf("mail: read embedded templates: %w", err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(embeddedTemplates, "templates/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("mail: read embedded template %s: %w", e.Name(), err)
		}
		files[e.Name()] = string(b)
	}
	if dir != "" {
		if err := readOverrides(dir, files); err != nil {
			return nil, err
		}
	}

	layout := files[layoutFile]
	type pair struct{ txt, html, txtName, htmlName string }
	pairs := map[[2]string]*pair{}
	for name, content := range files {
		if name == layoutFile {
			continue
		}
		ext := path.Ext(name)
		base := strings.TrimSuffix(name, ext)
		lang := strings.TrimPrefix(path.Ext(base), ".")
		event := strings.TrimSuffix(base, "."+lang)
		if lang == "" || event == "" || lang != normLang(lang) {
			return nil, fmt.Errorf("mail: template %s: name must be <event>.<lang>%s with a lower-case language", name, ext)
		}
		p := pairs[[2]string{event, lang}]
		if p == nil {
			p = &pair{}
			pairs[[2]string{event, lang}] = p
		}
		if ext == ".txt" {
			p.txt, p.txtName = content, name
		} else {
			p.html, p.htmlName = content, name
		}
	}

	cat := catalog{}
	for key, p := range pairs {
		event, lang := key[0], key[1]
		if p.txtName == "" || p.htmlName == "" {
			return nil, fmt.Errorf("mail: templates of %s in %q need both %s.%s.txt and %s.%s.html",
				event, lang, event, lang, event, lang)
		}
		set, err := parseSet(p.txtName, p.txt, p.htmlName, p.html, layout)
		if err != nil {
			return nil, err
		}
		if cat[event] == nil {
			cat[event] = map[string]*tmplSet{}
		}
		cat[event][lang] = set
	}
	return cat, nil
}

// readOverrides adds the .txt and .html files of dir to files, replacing
// embedded ones of the same name. Other files are ignored.
func readOverrides(dir string, files map[string]string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("mail: read templates directory: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || (path.Ext(name) != ".txt" && path.Ext(name) != ".html") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return fmt.Errorf("mail: template %s: %w", name, err)
		}
		if info.Size() > maxTemplateFile {
			return fmt.Errorf("mail: template %s: larger than %d bytes", name, maxTemplateFile)
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("mail: read template: %w", err)
		}
		files[name] = string(b)
	}
	return nil
}

func parseSet(txtName, txt, htmlName, html, layout string) (*tmplSet, error) {
	t, err := texttemplate.New(txtName).Funcs(templateFuncs).Option("missingkey=zero").Parse(txt)
	if err != nil {
		return nil, fmt.Errorf("mail: parse template: %w", err)
	}
	if t.Lookup("subject") == nil {
		return nil, fmt.Errorf("mail: template %s: no {{define \"subject\"}}", txtName)
	}
	h, err := htmltemplate.New(layoutFile).Funcs(templateFuncs).Option("missingkey=zero").Parse(layout)
	if err != nil {
		return nil, fmt.Errorf("mail: parse template: %w", err)
	}
	if _, err := h.New(htmlName).Parse(html); err != nil {
		return nil, fmt.Errorf("mail: parse template: %w", err)
	}
	if h.Lookup("content") == nil {
		return nil, fmt.Errorf("mail: template %s: no {{define \"content\"}}", htmlName)
	}
	return &tmplSet{text: t, html: h}, nil
}

// render executes the templates: a one-line subject, the text and HTML bodies.
func (s *tmplSet) render(d *TemplateData) (subject, text, html string, err error) {
	var buf bytes.Buffer
	if err := s.text.ExecuteTemplate(&buf, "subject", d); err != nil {
		return "", "", "", fmt.Errorf("render subject: %w", err)
	}
	// A subject is one header line: no line breaks, no runs of blanks.
	subject = strings.Join(strings.Fields(buf.String()), " ")
	if r := []rune(subject); len(r) > maxSubjectRunes {
		subject = string(r[:maxSubjectRunes-1]) + "…"
	}
	d.Subject = subject

	buf.Reset()
	if err := s.text.Execute(&buf, d); err != nil {
		return "", "", "", fmt.Errorf("render text body: %w", err)
	}
	text = strings.TrimSpace(buf.String()) + "\n"

	buf.Reset()
	if err := s.html.ExecuteTemplate(&buf, layoutFile, d); err != nil {
		return "", "", "", fmt.Errorf("render HTML body: %w", err)
	}
	return subject, text, buf.String(), nil
}

// get returns the value at a dotted path below v as text: "" when missing or
// null, JSON for objects and arrays.
func get(v any, path string) string {
	if path != "" {
		for _, k := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return ""
			}
			v = m[k]
		}
	}
	return str(v)
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return ""
		}
		return string(b)
	}
}
