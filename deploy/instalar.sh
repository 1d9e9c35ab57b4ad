#!/bin/sh
# Instala la noche de batch en esta máquina: el usuario batch, sus carpetas,
# el programa, la unidad y el temporizador de systemd, el archivo de
# configuración y el de secretos (modo 0600). Se puede correr de nuevo (tras
# actualizar batch): reemplaza el programa y las unidades y conserva la
# configuración y los secretos que ya existan.
#
#   sudo deploy/instalar.sh                  # en esta máquina
#   deploy/instalar.sh --raiz /tmp/prueba    # en una carpeta, para ver qué deja
#
# Opciones:
#   --raiz DIR       instala bajo DIR (DIR/etc/batch, DIR/srv/batch...) sin
#                    crear el usuario ni tocar systemd
#   --binario RUTA   el programa batch ya compilado (por defecto se compila
#                    con go desde este repositorio)
set -eu

raiz=""
binario=""
uso() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case "$1" in
	--raiz) raiz=${2:?"--raiz necesita una carpeta"}; shift 2 ;;
	--raiz=*) raiz=${1#--raiz=}; shift ;;
	--binario) binario=${2:?"--binario necesita la ruta del programa"}; shift 2 ;;
	--binario=*) binario=${1#--binario=}; shift ;;
	-h | --help) uso; exit 0 ;;
	*) echo "instalar.sh: la opción $1 no existe (vea --help)" >&2; exit 2 ;;
	esac
done

aqui=$(cd "$(dirname "$0")" && pwd)
if [ -n "$raiz" ]; then
	mkdir -p "$raiz"
	raiz=$(cd "$raiz" && pwd)
fi
real=0
[ -z "$raiz" ] && real=1
if [ "$real" = 1 ] && [ "$(id -u)" != 0 ]; then
	echo "instalar.sh: para instalar en esta máquina hace falta root (sudo); para probar, use --raiz CARPETA" >&2
	exit 2
fi

if [ -z "$binario" ]; then
	command -v go >/dev/null 2>&1 || { echo "instalar.sh: no hay go para compilar batch; dé el programa con --binario" >&2; exit 2; }
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$aqui/.." && CGO_ENABLED=0 go build -trimpath -o "$tmp/batch" ./cmd/batch)
	binario="$tmp/batch"
fi

if [ "$real" = 1 ] && ! id batch >/dev/null 2>&1; then
	useradd --system --user-group --home-dir /var/lib/batch --no-create-home --shell /usr/sbin/nologin batch
	echo "usuario batch creado"
fi

# carpeta modo [dueño]: crea la carpeta con su modo; el dueño solo en la máquina real.
carpeta() {
	install -d -m "$2" "$raiz$1"
	if [ "$real" = 1 ] && [ -n "${3:-}" ]; then chown "$3" "$raiz$1"; fi
}
carpeta /usr/local/bin 0755
carpeta /etc/systemd/system 0755
carpeta /etc/batch 0750 root:batch
carpeta /srv/batch 0750 batch:batch
carpeta /srv/batch/entrada 0770 batch:batch
carpeta /srv/batch/resultados 0750 batch:batch
carpeta /var/lib/batch 0700 batch:batch
carpeta /var/log/batch 0750 batch:batch

install -m 0755 "$binario" "$raiz/usr/local/bin/batch"
install -m 0644 "$aqui/batch-nocturno.service" "$aqui/batch-nocturno.timer" "$raiz/etc/systemd/system/"

# primera vez: archivo destino modo [dueño]; lo que ya existe no se toca.
primera_vez() {
	if [ -e "$raiz$2" ]; then
		echo "se conserva $2"
		return
	fi
	install -m "$3" "$aqui/$1" "$raiz$2"
	if [ "$real" = 1 ] && [ -n "${4:-}" ]; then chown "$4" "$raiz$2"; fi
	echo "instalado $2 (edítelo)"
}
primera_vez config.toml.ejemplo /etc/batch/config.toml 0640 root:batch
primera_vez batch.env.ejemplo /etc/batch/batch.env 0600 batch:batch

if [ "$real" = 1 ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl enable --now batch-nocturno.timer
	echo "temporizador batch-nocturno.timer activo (cada noche a las 2:00)"
fi
echo "listo. Revise la noche antes de que corra: batch config --config /etc/batch/config.toml"
