// Package sandbox simulates Afacturar's REST API and SS Integral's
// EnvioCorreo SOAP service as their documents describe them, over real
// HTTP, for `make run`, `batch sandbox` and the tests: the form, the JSON
// schema and the SOAP envelope are checked, each CUFE's acuse is registered
// once, the limits are enforced, and latency and faults can be dialled.
package sandbox

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is what the sandbox does instead of answering normally.
type Fault int

const (
	FaultNone           Fault = iota
	Fault500                  // JSON codigo_error 500 with HTTP 500
	Fault503HTML              // HTTP 503 with an HTML page, as a proxy answers
	Fault28                   // code 28: DIAN did not answer; nothing registered
	Fault28Registered         // code 28 after the event was registered
	FaultDrop                 // the connection is closed without an answer
	FaultDropRegistered       // the event is registered, then the connection closed
	FaultHang                 // no answer until the client gives up
	Fault429                  // a 429 that the limit did not cause
	Fault503JSON              // HTTP 503 with Afacturar's own envelope, code 503
	Fault15                   // DIAN rejects the event: rule LGC62, a cash invoice
	Fault20                   // code 20: the provider will answer by webhook; nothing registered
	Fault403                  // 403 Prohibido, for this request
	Fault409                  // 409 inside an HTTP 200, as for a CUV the provider does not know
	Fault422                  // 422: the request is well formed but not processable
)

// UnknownPrefix marks CUFEs the simulated DIAN does not know (an acuse for
// one is rejected with code 15 and rule DOC01) and CUVs the simulated
// validator never issued (a 400 on informacion_documento.cuv).
const UnknownPrefix = "dead"

// The RADIAN events the sandbox registers, by DIAN's code.
const (
	Evento030 = "030" // acuse de recibo
	Evento031 = "031" // reclamo
	Evento032 = "032" // recibo del bien o prestación del servicio
)

// Defaults of `batch sandbox` and `batch run --sandbox`.
const (
	DefaultToken    = "sandbox-token"
	DefaultObligado = "900123456"
)

// Config dials the sandbox.
type Config struct {
	// Tokens maps each valid token to the obligado it belongs to.
	Tokens map[string]string
	// RatePerMinute is the per-token limit over a sliding Window; 0 means
	// 120, a negative number no limit.
	RatePerMinute int
	// Window is the limit's window; 0 means one minute.
	Window time.Duration
	// Latency, when set, is how long each answer takes.
	Latency func() time.Duration
	// Fault, when set, picks a fault for the attempt-th request on a key
	// (a CUFE or a CUV).
	Fault func(key string, attempt int) Fault
	// CUVs are the CUVs the simulated validator issued, with their
	// invoices. A CUV not listed is valid with an invoice derived from the
	// CUV alone (never from the request), unless it starts with
	// UnknownPrefix.
	CUVs map[string]CUV
	// Facturadores maps each invoicer's NIT to its Clave on the simulated
	// SS Integral; nil means DefaultNIT with DefaultClave.
	Facturadores map[string]string
	// SOAPRatePerMinute is SS Integral's limit per NIT over Window; 0
	// means 60, a negative number no limit.
	SOAPRatePerMinute int
	// Shapes, when set, picks the forms of the answers about a key; by
	// default each key gets its own (see Shapes).
	Shapes func(key string) Shapes
	// Chaos is the share of requests (0 to 1) answered with a fault drawn
	// from every one the documents show, when Fault is not set.
	Chaos float64
	// Registered are events an earlier run registered, for the sandbox to
	// answer as the provider would that remembers them: LGC01 for one
	// sent again, a 032 after its 030 accepted.
	Registered []Registration
	// Holders are who holds each CUFE, for the legítimo tenedor query;
	// any other is HolderOf's. TenedorLatency is how long that query
	// takes to answer (about 60 s at Afacturar; none by default).
	Holders        map[string]Holder
	TenedorLatency time.Duration
}

// CUV is what the simulated validator knows of a CUV.
type CUV struct {
	NumDocumentoIdObligado string
	NumeroDocumento        string
	FechaEmision           string // AAAA-MM-DD
	TotalFactura           float64
}

// Seen is one request that reached the acuse endpoint, minus its token.
type Seen struct {
	Obligado     string
	Transmission string
	Data         []byte
	Accept       string
	Bearer       bool
}

// Registration is an event registered before the sandbox started.
type Registration struct {
	Codigo, Obligado, CUFE, CUDE string
}

// Server is the simulated service. It is an http.Handler.
type Server struct {
	cfg Config
	mux *http.ServeMux

	mu          sync.Mutex
	requests    int
	rateLimited int
	sent        map[string][]time.Time // token → accepted requests in the window
	attempts    map[string]int         // cufe → requests that reached DIAN
	registered  map[string]event       // code|cufe → its event
	history     map[string][]event     // cufe → its events, in order
	seen        map[string][]Seen
	evento      map[string]int // obligado → last numero_evento

	soapRequests    int
	tenedorRequests int
	correos         map[string][]Correo // Prefijo+NumeroFactura → calls received
}

type event struct {
	Codigo                       string
	CUDE, NumeroEvento, Obligado string
	Fecha                        time.Time
	Attempt                      int
}

// New builds a sandbox.
func New(cfg Config) *Server {
	if cfg.Tokens == nil {
		cfg.Tokens = map[string]string{DefaultToken: DefaultObligado}
	}
	if cfg.RatePerMinute == 0 {
		cfg.RatePerMinute = 120
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	if cfg.SOAPRatePerMinute == 0 {
		cfg.SOAPRatePerMinute = 60
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(),
		sent: map[string][]time.Time{}, attempts: map[string]int{}, registered: map[string]event{}, history: map[string][]event{},
		seen: map[string][]Seen{}, evento: map[string]int{}, correos: map[string][]Correo{}}
	for _, r := range cfg.Registered {
		e := event{Codigo: r.Codigo, CUDE: r.CUDE, Obligado: r.Obligado, Fecha: time.Now()}
		s.registered[r.Codigo+"|"+r.CUFE] = e
		s.history[r.CUFE] = append(s.history[r.CUFE], e)
	}
	s.mux.HandleFunc("/api/radian/acuse_recibo_fev", s.endpoint("Hay un problema con la informacion entregada", checkEvento(Evento030), s.evento030))
	s.mux.HandleFunc("/api/radian/recibo_bien_servicio", s.endpoint("Hay un problema con la informacion entregada", checkEvento(Evento032), s.eventoHandler(Evento032)))
	s.mux.HandleFunc("/api/radian/reclamo", s.endpoint("Hay un problema con la informacion entregada", checkEvento(Evento031), s.eventoHandler(Evento031)))
	s.mux.HandleFunc("/api/radian/historico_eventos", s.historico)
	s.mux.HandleFunc("/api/radian/lector_cufe_tenedor_legitimo", s.tenedor)
	s.mux.HandleFunc("/api/rips/consultar_cuv", s.endpoint("Error en la estructura del json de data", checkCUV, s.cuv))
	s.mux.HandleFunc("GET /eventos/{file}", s.eventXML)
	s.mux.HandleFunc(SOAPPath, s.asmx)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Requests counts every request to an API endpoint.
func (s *Server) Requests() int { s.mu.Lock(); defer s.mu.Unlock(); return s.requests }

// RateLimited counts the 429 answers given.
func (s *Server) RateLimited() int { s.mu.Lock(); defer s.mu.Unlock(); return s.rateLimited }

// Attempts counts the requests for a CUFE that passed the checks.
func (s *Server) Attempts(cufe string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.attempts[cufe] }

// Registered returns the CUDE of a CUFE's acuse, if one was registered.
func (s *Server) Registered(cufe string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.registered[Evento030+"|"+cufe]
	return e.CUDE, ok
}

// RegisteredOn returns which attempt on a CUFE registered its acuse, or 0.
func (s *Server) RegisteredOn(cufe string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registered[Evento030+"|"+cufe].Attempt
}

// Registrations counts the registered acuses.
func (s *Server) Registrations() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.registered) }

// RegisteredEvent returns the CUDE of a CUFE's event of a code (030, 031,
// 032), if one was registered.
func (s *Server) RegisteredEvent(codigo, cufe string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.registered[codigo+"|"+cufe]
	return e.CUDE, ok
}

// Seen returns the requests received for a CUFE.
func (s *Server) Seen(cufe string) []Seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Seen(nil), s.seen[cufe]...)
}

type answer struct {
	CodigoError      any    `json:"codigo_error"`
	DescripcionError any    `json:"descripcion_error"`
	TiempoEjecucion  any    `json:"tiempo_ejecucion,omitempty"`
	Transaccion      string `json:"transaccion,omitempty"`
	Resultado        any    `json:"resultado,omitempty"`
	Entorno          string `json:"entorno,omitempty"`
	ErrorMessageDIAN any    `json:"ErrorMessage_DIAN,omitempty"`
}

func reply(w http.ResponseWriter, status int, a answer) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(a)
}

// call is one request that passed the common checks.
type call struct {
	obligado string
	key      string // the CUFE or the CUV
	attempt  int    // how many requests reached the service for key
	data     any
	base     string // the sandbox's own address, for the URLs it answers
	start    time.Time
}

// endpoint wraps an operation with what every Afacturar endpoint does
// alike: method, token, the per-token limit, headers, the form, the
// obligado, the data's JSON and schema; then latency and faults.
func (s *Server) endpoint(schemaError string, check func(any) (string, []problem), handle func(http.ResponseWriter, call, Fault)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		obligado, token, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		raw, data, ok := readForm(w, r, obligado, schemaError)
		if !ok {
			return
		}
		key, problems := check(data)
		if len(problems) > 0 {
			s.replyFor(w, raw, http.StatusBadRequest, answer{CodigoError: 400, DescripcionError: schemaError,
				TiempoEjecucion: time.Since(start).Seconds(), Transaccion: transaccion(obligado), Resultado: problems, Entorno: entorno})
			return
		}
		s.mu.Lock()
		s.attempts[key]++
		c := call{obligado: obligado, key: key, attempt: s.attempts[key], data: data, base: "http://" + r.Host, start: start}
		s.seen[key] = append(s.seen[key], Seen{Obligado: obligado, Transmission: transmission(data), Data: []byte(raw),
			Accept: r.Header.Get("Accept"), Bearer: token != ""})
		s.mu.Unlock()
		if !s.delay(r) {
			return
		}
		fault := s.fault(key, c.attempt)
		if !s.answerFault(w, r, key, fault) {
			handle(w, c, fault)
		}
	}
}

// authenticate counts a request to an API endpoint and checks its method,
// its token and the token's rate.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (obligado, token string, ok bool) {
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	if r.Method != http.MethodPost {
		reply(w, http.StatusMethodNotAllowed, answer{CodigoError: 405, DescripcionError: "Método no permitido"})
		return "", "", false
	}
	token, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	obligado, known := s.cfg.Tokens[token]
	if !bearer || !known {
		// As the service does: an HTTP 401 whose body says 500.
		reply(w, http.StatusUnauthorized, answer{CodigoError: 500, DescripcionError: "Unauthenticated."})
		return "", "", false
	}
	if wait, ok := s.admit(token, s.cfg.RatePerMinute); !ok {
		// Retry-After comes on some 429s and not on others.
		if s.RateLimited()%2 == 1 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
		}
		reply(w, http.StatusTooManyRequests, answer{CodigoError: 429, DescripcionError: "Se excede el numero de transacciones permitido (120 por minuto)"})
		return "", "", false
	}
	return obligado, token, true
}

// readForm reads the multipart form: documento_obligado, which must be the
// token's, and data, which must be JSON.
func readForm(w http.ResponseWriter, r *http.Request, obligado, schemaError string) (raw string, data any, ok bool) {
	if !strings.Contains(r.Header.Get("Accept"), "application/json") {
		reply(w, http.StatusBadRequest, answer{CodigoError: 400, DescripcionError: "Falta el encabezado Accept: application/json"})
		return "", nil, false
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		reply(w, http.StatusUnsupportedMediaType, answer{CodigoError: 415, DescripcionError: "Tipo de medio no admitido: se espera multipart/form-data"})
		return "", nil, false
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		reply(w, http.StatusBadRequest, answer{CodigoError: 400, DescripcionError: schemaError, Resultado: []problem{{"", "El cuerpo no es multipart/form-data válido"}}})
		return "", nil, false
	}
	switch doc := r.FormValue("documento_obligado"); {
	case doc == "":
		reply(w, http.StatusBadRequest, answer{CodigoError: 400, DescripcionError: schemaError, Resultado: []problem{{"documento_obligado", "The property documento_obligado is required"}}})
		return "", nil, false
	case doc != obligado:
		reply(w, http.StatusConflict, answer{CodigoError: 409, DescripcionError: "El OFE no esta asociado al código de autorización"})
		return "", nil, false
	}
	raw = r.FormValue("data")
	if err := json.Unmarshal([]byte(raw), &data); err != nil {
		reply(w, http.StatusBadRequest, answer{CodigoError: 400, DescripcionError: schemaError, Resultado: []problem{{"data", "El campo data no es un JSON válido"}}})
		return "", nil, false
	}
	return raw, data, true
}

// answerFault answers the fault a test (or chaos) asked for, in the key's
// forms; false means the endpoint answers (a fault it handles itself, or
// none).
func (s *Server) answerFault(w http.ResponseWriter, r *http.Request, key string, fault Fault) bool {
	sh := s.shapes(key)
	switch fault {
	case Fault500:
		s.replyFor(w, key, http.StatusInternalServerError, answer{CodigoError: 500, DescripcionError: "Error de servidor interno"})
	case Fault503HTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
	case Fault503JSON:
		s.replyFor(w, key, http.StatusServiceUnavailable, answer{CodigoError: 503, DescripcionError: "Estamos experimentando niveles de tráfico más altos de lo normal"})
	case Fault28:
		s.replyFor(w, key, http.StatusOK, answer{CodigoError: 28, DescripcionError: "La operación duro más de 60 seg", Entorno: entorno})
	case Fault20:
		s.replyFor(w, key, http.StatusOK, answer{CodigoError: 20, DescripcionError: "La respuesta de la DIAN se enviará al webhook", Entorno: entorno})
	case Fault429:
		if !sh.NoRetryAfter {
			w.Header().Set("Retry-After", "1")
		}
		s.replyFor(w, key, http.StatusTooManyRequests, answer{CodigoError: 429, DescripcionError: "Se excede el numero de transacciones permitido (120 por minuto)"})
	case Fault15:
		s.replyFor(w, key, http.StatusOK, answer{CodigoError: 15, DescripcionError: "La validación en la DIAN devuelve error(es)", Entorno: entorno,
			ErrorMessageDIAN: "Regla: LGC62, Rechazo: El evento no aplica para facturas de contado"})
	case Fault403:
		s.replyFor(w, key, http.StatusForbidden, answer{CodigoError: 403, DescripcionError: "Prohibido: su plan no incluye el recurso solicitado"})
	case Fault409:
		s.replyFor(w, key, http.StatusOK, answer{CodigoError: 409, DescripcionError: "El documento no esta registrado en nuestro sistema"})
	case Fault422:
		s.replyFor(w, key, http.StatusUnprocessableEntity, answer{CodigoError: 422, DescripcionError: "Entidad no procesable",
			Resultado: []problem{{"evento[0].informacion_documento_referencia.cufe", "El documento no admite el evento"}}})
	case FaultDrop:
		drop(w)
	case FaultHang:
		<-r.Context().Done()
	default:
		return false
	}
	return true
}

// acuse registers an acuse de recibo; the "registered" faults register it
// and then lose the answer.
func (s *Server) evento030(w http.ResponseWriter, c call, fault Fault) {
	s.eventoHandler(Evento030)(w, c, fault)
}

// eventoHandler registers an event of a code, or answers as DIAN does.
func (s *Server) eventoHandler(codigo string) func(http.ResponseWriter, call, Fault) {
	return func(w http.ResponseWriter, c call, fault Fault) {
		cufe := strings.TrimPrefix(c.key, codigo+"|")
		ans := s.register(codigo, c.obligado, cufe, c.attempt, c.base, c.start)
		switch fault {
		case Fault28Registered:
			reply(w, http.StatusOK, answer{CodigoError: 28, DescripcionError: "La operación duro más de 60 seg", Entorno: entorno})
		case FaultDropRegistered:
			drop(w)
		default:
			s.replyFor(w, c.key, http.StatusOK, ans)
		}
	}
}

const entorno = "Este documento se envia al entorno: DOCUMENTO_NO_VALIDO"

// delay waits the configured latency; false means the client left.
func (s *Server) delay(r *http.Request) bool {
	if s.cfg.Latency == nil {
		return true
	}
	select {
	case <-time.After(s.cfg.Latency()):
		return true
	case <-r.Context().Done():
		return false
	}
}

// admit applies a per-caller limit over a sliding window.
func (s *Server) admit(token string, limit int) (time.Duration, bool) {
	if limit < 0 {
		return 0, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	list := s.sent[token]
	cut := 0
	for cut < len(list) && now.Sub(list[cut]) >= s.cfg.Window {
		cut++
	}
	list = list[cut:]
	if len(list) >= limit {
		s.sent[token] = list
		s.rateLimited++
		return list[0].Add(s.cfg.Window).Sub(now), false
	}
	s.sent[token] = append(list, now)
	return 0, true
}

// register records an event, or answers as DIAN does: an unknown CUFE
// (DOC01, the simulator's own rule), an event registered before (LGC01),
// or one out of DIAN's order, 032 before the 030 or 031 before the 032
// (ORD01, the simulator's own rule).
func (s *Server) register(codigo, obligado, cufe string, attempt int, base string, start time.Time) answer {
	cude := cudeOf(codigo, cufe, obligado, attempt)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evento[obligado]++
	numero := strconv.Itoa(s.evento[obligado])
	res := map[string]any{"cude": cude, "numero_evento": numero, "url_representacion_xml": base + "/eventos/" + cude + ".xml"}
	a := answer{TiempoEjecucion: time.Since(start).Seconds(), Transaccion: transaccion(obligado), Resultado: res, Entorno: entorno}
	rejected := func(rule string) {
		a.CodigoError, a.DescripcionError = 15, "La validación en la DIAN devuelve error(es)"
		a.ErrorMessageDIAN = rule
		res["fecha_evento"] = time.Now().Format("2006-01-02 15:04:05")
	}
	switch before := previous[codigo]; {
	case strings.HasPrefix(cufe, UnknownPrefix) || len(cufe) != 96:
		rejected("Regla: DOC01, Rechazo: El CUFE referenciado no existe en la DIAN")
	case s.registered[codigo+"|"+cufe].CUDE != "":
		rejected("Regla: LGC01, Rechazo: Evento registrado previamenteRegla: AAG01a, Rechazo: ")
	case before != "" && s.registered[before+"|"+cufe].CUDE == "":
		rejected("Regla: ORD01, Rechazo: No se puede registrar el evento " + codigo + " sin el evento " + before + " previo")
	default:
		e := event{Codigo: codigo, CUDE: cude, NumeroEvento: numero, Obligado: obligado, Fecha: time.Now(), Attempt: attempt}
		s.registered[codigo+"|"+cufe] = e
		s.history[cufe] = append(s.history[cufe], e)
		a.CodigoError, a.DescripcionError, a.ErrorMessageDIAN = 0, "OK", ""
	}
	return a
}

// previous is the event each one needs registered first.
var previous = map[string]string{Evento032: Evento030, Evento031: Evento032}

func cudeOf(codigo, cufe, obligado string, attempt int) string {
	sum := sha512.Sum384([]byte(fmt.Sprintf("%s|%s|%s|%d", codigo, cufe, obligado, attempt)))
	return hex.EncodeToString(sum[:])
}

func transaccion(obligado string) string {
	return fmt.Sprintf("SBX%s%x", obligado, time.Now().UnixNano())
}

func transmission(data any) string {
	m, _ := data.(map[string]any)
	g, _ := m["generalidades"].(map[string]any)
	t, _ := g["identificador_transmision"].(string)
	return t
}

// drop closes the connection without an HTTP answer.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (s *Server) eventXML(w http.ResponseWriter, r *http.Request) {
	cude := strings.TrimSuffix(r.PathValue("file"), ".xml")
	s.mu.Lock()
	var found *event
	for _, e := range s.registered {
		if e.CUDE == cude {
			found = &e
			break
		}
	}
	s.mu.Unlock()
	if found == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ApplicationResponse>\n  <UUID schemeName=\"CUDE-SHA384\">%s</UUID>\n  <ID>%s</ID>\n  <ResponseCode>%s</ResponseCode>\n  <IssueDate>%s</IssueDate>\n  <Note>Evento registrado en el sandbox de batch</Note>\n</ApplicationResponse>\n",
		found.CUDE, found.NumeroEvento, found.Codigo, found.Fecha.Format("2006-01-02"))
}
